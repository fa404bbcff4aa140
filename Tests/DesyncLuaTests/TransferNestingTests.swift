import CLua
@testable import DesyncLua
import Testing

@Suite("Transfer of deeply nested values")
struct TransferNestingTests {
    private static let nestedChain = """
        (function(depth)
            local root = {} local t = root
            for _ = 1, depth do local n = {} t.next = n t = n end
            t.leaf = true
            return root
        end)
        """

    private static let depthCheck = """
        function(depth) return function(t)
            local n = 0 while t.next do t = t.next n = n + 1 end
            return n == depth and t.leaf == true
        end end
        """

    @Test func tenThousandNestedTables() throws {
        let source = TestLuaState(), target = TestLuaState()
        #expect(try transfer("\(Self.nestedChain)(10000)", from: source, to: target, check: "(\(Self.depthCheck))(10000)"))
    }

    @Test func aMillionNestedTablesDoNotCrash() throws {
        let source = TestLuaState(), target = TestLuaState()
        #expect(try transfer("\(Self.nestedChain)(1000000)", from: source, to: target, check: "(\(Self.depthCheck))(1000000)"))
    }

    @Test func tenThousandNestedClosures() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("""
            chained = function() return 0 end
            for _ = 1, 10000 do local inner = chained chained = function() return inner() + 1 end end
            """)
        #expect(try transfer("chained", from: source, to: target, check: "function(f) return f() == 10000 end"))
    }

    @Test func aRefusalDeepDownHasAShortenedPath() throws {
        let source = TestLuaState()
        source.run("deep = \(Self.nestedChain)(100000) local t = deep while t.next do t = t.next end t.leaf = io.stdout")
        let message = try #require(refusal("deep", in: source))
        #expect(message.hasPrefix("argument 1, field 'next', field 'next'"))
        #expect(message.contains("more)"))
        #expect(message.hasSuffix("field 'next', field 'leaf': userdata cannot cross between desync objects"))
    }
}
