import CLua
@testable import DesyncLua
import Testing

@Suite("Transfer of functions")
struct TransferFunctionTests {
    @Test func luaFunctionsRunInTheTarget() throws {
        let source = TestLuaState(), target = TestLuaState()
        #expect(try transfer("function(a, b) return a + b, a .. b end", from: source, to: target, check: """
            function(f) local sum, joined = f(2, 3) return sum == 5 and joined == '23' end
            """))
    }

    @Test func debugInformationIsKept() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("""
            local secret = 1
            function described()
                return secret
            end
            info = debug.getinfo(described, 'S')
            """)
        #expect(try transfer("described, info.source, info.linedefined", from: source, to: target, check: """
            function(f, source, line)
                local info = debug.getinfo(f, 'S')
                return info.source == source and info.linedefined == line and line == 2
                    and debug.getupvalue(f, 1) == 'secret'
            end
            """))
    }

    @Test func upvaluesAreCopiedAndChangesDoNotFlowBack() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("""
            local count, log = 10, {}
            function bump() count = count + 1 log[#log + 1] = count return count end
            """)
        #expect(try transfer("bump", from: source, to: target, check: """
            function(bump) bump() return bump() == 12 end
            """))
        #expect(source.holds("bump() == 11"))
    }

    @Test func nestedClosuresKeepTheirUpvalues() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("""
            function makeCounter(start, step)
                local state = {value = start}
                return function() state.value = state.value + step return state.value end
            end
            counters = {a = makeCounter(0, 1), b = makeCounter(100, 10)}
            """)
        #expect(try transfer("counters", from: source, to: target, check: """
            function(c) c.a() c.b() return c.a() == 2 and c.b() == 120 end
            """))
    }

    @Test func envBindsToTheTargetGlobals() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("place = 'source' function where() return place end function setPlace(p) place = p end")
        target.run("place = 'target'")
        #expect(try transfer("where, setPlace", from: source, to: target, check: """
            function(where, setPlace) local was = where() setPlace('moved') return was == 'target' and place == 'moved' end
            """))
        #expect(source.holds("place == 'source'"))
    }

    @Test func customEnvIsCopiedNotRebound() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("sandboxed = (function() local _ENV = {x = 5} return function() return x end end)()")
        target.run("x = 'global'")
        #expect(try transfer("sandboxed", from: source, to: target, check: "function(f) return f() == 5 end"))
    }

    @Test func sharedUpvaluesStayShared() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("""
            local n = 0
            function inc() n = n + 1 end
            function get() return n end
            """)
        #expect(try transfer("inc, {get = get}", from: source, to: target, check: """
            function(inc, t) inc() inc() return t.get() == 2 end
            """))
        #expect(source.holds("get() == 0"))
    }

    @Test func upvaluesAreNotSharedBetweenTransfers() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("local n = 0 function inc() n = n + 1 return n end function get() return n end")
        let first = try source.capture("inc").get()
        let second = try source.capture("get").get()
        #expect(target.check(first, "function(inc) inc() return inc() == 2 end"))
        #expect(target.check(second, "function(get) return get() == 0 end"))
    }

    @Test func recursiveLocalFunctionsWork() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end factorial = fact")
        #expect(try transfer("factorial", from: source, to: target, check: """
            function(f) return f(10) == 3628800 and debug.getupvalue(f, 1) == 'fact' and select(2, debug.getupvalue(f, 1)) == f end
            """))
    }

    @Test func cFunctionsCrossByPointer() throws {
        let source = TestLuaState(), target = TestLuaState()
        #expect(try transfer("print, math.floor, {fmt = string.format}", from: source, to: target, check: """
            function(p, floor, t) return p == print and floor == math.floor and floor(2.5) == 2 and t.fmt('%d', 7) == '7' end
            """))
    }

    @Test func stringDumpedFunctionsWithoutDebugInfoStillCross() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("stripped = load(string.dump(function(a) return a * 2 end, true))")
        #expect(try transfer("stripped", from: source, to: target, check: "function(f) return f(21) == 42 end"))
    }
}
