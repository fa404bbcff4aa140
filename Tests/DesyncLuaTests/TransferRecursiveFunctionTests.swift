import CLua
@testable import DesyncLua
import Testing

/// A recursive local function (`local function hop(d, n) ... other:sync(hop, n - 1) ... end`)
/// has itself as an upvalue: it crosses without the graph walk, and in the target its upvalue is
/// the new closure itself, as the full capture makes it.
@Suite("Transfer of recursive local functions")
struct TransferRecursiveFunctionTests {
    /// The self-reference mask of the capture of `expression` when it is one flat closure.
    private func selfReferences(_ expression: String, in state: TestLuaState) throws -> UInt8? {
        guard case .one(.closure(let closure)) = try state.capture(expression).get().storage else { return nil }
        return closure.selfReferences
    }

    @Test func aRecursiveFunctionCrossesFlatAndCallsItself() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("local k = 10 local function fact(n) if n <= 1 then return k end return n * fact(n - 1) end f = fact")
        // Upvalue 1 is `k`, upvalue 2 is `fact` itself.
        #expect(try selfReferences("f", in: source) == 0b10)
        #expect(try transfer("f", from: source, to: target, check: """
            function(f)
                local _, me = debug.getupvalue(f, 2)
                local _, k = debug.getupvalue(f, 1)
                return f(4) == 240 and rawequal(me, f) and k == 10
            end
            """))
    }

    @Test func eachPushMakesAClosureThatRefersToItself() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("local function count(n) if n == 0 then return 0 end return 1 + count(n - 1) end f = count")
        let cargo = try source.capture("f").get()
        target.run("first = nil")
        #expect(target.check(cargo, "function(f) first = f return f(3) == 3 end"))
        #expect(target.check(cargo, """
            function(f)
                local _, me = debug.getupvalue(f, 1)
                local _, firstMe = debug.getupvalue(first, 1)
                return not rawequal(f, first) and rawequal(me, f) and rawequal(firstMe, first)
            end
            """))
    }

    @Test func changingTheCopyLeavesTheSourceAlone() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("local function f() return f end g = f")
        #expect(try transfer("g", from: source, to: target, check: """
            function(g) debug.setupvalue(g, 1, 'replaced') return g() == 'replaced' end
            """))
        #expect(source.holds("rawequal(g(), g)"))
    }

    @Test func aFunctionWhoseUpvalueIsAnotherFunctionTakesTheFullCapture() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("local function g() return 7 end local function f() return g() end h = f")
        #expect(try selfReferences("h", in: source) == nil)
        #expect(try transfer("h", from: source, to: target, check: "function(h) return h() == 7 end"))
    }

    @Test func theSameRecursiveFunctionTwiceStaysOneFunction() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("local function f(n) if n == 0 then return 0 end return f(n - 1) end g = f")
        #expect(try transfer("g, g", from: source, to: target, check: """
            function(a, b) local _, me = debug.getupvalue(a, 1) return rawequal(a, b) and rawequal(me, a) and a(3) == 0 end
            """))
    }
}
