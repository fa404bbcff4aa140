import CLua
@testable import DesyncLua
import Testing

@Suite("Transfer bytecode caches")
struct TransferCacheTests {
    @Test func functionsWithNothingToBindAreLoadedOncePerTarget() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("function pure(x) return x + 1 end function global() return print end")
        let first = try source.capture("pure, global").get()
        let second = try source.capture("pure, global").get()
        #expect(target.check(first, "function(p, g) firstPure, firstGlobal = p, g return p(1) == 2 end"))
        #expect(target.check(second, "function(p, g) return rawequal(p, firstPure) and rawequal(g, firstGlobal) end"))
        #expect(target.holds("debug.getregistry()['desync.transfer.loaded'] ~= nil"))
    }

    @Test func distinctClosuresOfOneCargoStayDistinct() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("twins = {} for i = 1, 2 do twins[i] = function() return print end end keyed = {[twins[1]] = 1, [twins[2]] = 2}")
        #expect(try transfer("twins, keyed", from: source, to: target, check: """
            function(twins, keyed) return twins[1] ~= twins[2] and keyed[twins[1]] == 1 and keyed[twins[2]] == 2 end
            """))
    }

    @Test func functionsWithCopiedUpvaluesAreFreshEachTime() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("local n = 0 function counter() n = n + 1 return n end")
        let first = try source.capture("counter").get()
        let second = try source.capture("counter").get()
        #expect(target.check(first, "function(c) firstCounter = c return c() == 1 end"))
        #expect(target.check(second, "function(c) return not rawequal(c, firstCounter) and c() == 1 and firstCounter() == 2 end"))
    }

    @Test func theSourceDumpsAClosureOnlyOnce() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("function original() return 'original' end function impostor() return 'impostor' end")
        _ = try source.capture("original").get()
        #expect(source.holds("""
            getmetatable(debug.getregistry()['desync.transfer.dumped']).__mode == 'k'
                and debug.getregistry()['desync.transfer.dumped'][original] == string.dump(original)
            """))
        // Plant other bytecode in the cache: a second capture that used it proves no new dump.
        source.run("debug.getregistry()['desync.transfer.dumped'][original] = string.dump(impostor)")
        #expect(try transfer("original", from: source, to: target, check: "function(f) return f() == 'impostor' end"))
    }

    @Test func theDumpCacheDoesNotKeepClosuresAlive() {
        let source = TestLuaState()
        source.run("function temporary() return 1 end")
        _ = source.capture("temporary")
        source.run("temporary = nil collectgarbage() collectgarbage()")
        #expect(source.holds("next(debug.getregistry()['desync.transfer.dumped']) == nil"))
    }
}
