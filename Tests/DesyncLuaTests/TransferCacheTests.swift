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
        #expect(target.holds("registry_table('loaded') ~= nil"))
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
        let source = TestLuaState()
        source.run("function original() return 'original' end local up = 1 function bound() return up end")
        let first = try source.capture("original, bound").get()
        let second = try source.capture("original, bound").get()
        // The same code object both times: the bytes were dumped once and are shared, not copied.
        // `bound`'s upvalue is a number: it crosses as a flat closure (code and upvalue values).
        guard case .reusableFunction(let firstCode) = first.graph.roots[0],
              case .reusableFunction(let secondCode) = second.graph.roots[0],
              case .closure(let firstBound) = first.graph.roots[1],
              case .closure(let secondBound) = second.graph.roots[1]
        else {
            Issue.record("expected a reusable function and a closure, got \(first.graph.roots)")
            return
        }
        #expect(firstCode === secondCode)
        #expect(firstBound.code === secondBound.code)
        #expect(firstCode.id != firstBound.code.id)
        #expect(source.holds("""
            getmetatable(registry_table('dumped')).__mode == 'k'
                and type(registry_table('dumped')[original]) == 'userdata'
            """))
    }

    @Test func aNewClosureOfTheSameFunctionIsANewCode() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("function make() return function(x) return x * 2 end end one, two = make(), make()")
        let cargo = try source.capture("one, two, one").get()
        #expect(target.check(cargo, "function(a, b, c) return a ~= b and rawequal(a, c) and a(2) == 4 and b(3) == 6 end"))
    }

    @Test func theDumpCacheDoesNotKeepClosuresAlive() {
        let source = TestLuaState()
        source.run("function temporary() return 1 end")
        _ = source.capture("temporary")
        source.run("temporary = nil collectgarbage() collectgarbage()")
        #expect(source.holds("next(registry_table('dumped')) == nil"))
    }

    /// Both rest on Lua's private layouts and fall back silently when their check fails: on the
    /// liblua this is built with, they must hold.
    @Test func prototypeIdentityAndClosureFactoriesAreOn() {
        #expect(LuaPrototype.layoutHolds)
        #expect(LuaClosureFactory.works)
    }

    @Test func theEnvironmentVariableTurnsThePrivateLayoutsOff() {
        for value in ["off", "OFF", "0", "no", "false"] {
            #expect(!LuaPrivateLayout.isAllowed(byEnvironmentValue: value), "\(value)")
        }
        for value in [nil, "", "on", "1"] as [String?] {
            #expect(LuaPrivateLayout.isAllowed(byEnvironmentValue: value), "\(String(describing: value))")
        }
    }

    @Test func closuresWithUpvaluesAreMadeByAFactoryWithTheirOwnUpvalues() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("function make(k, s) return function(x) k = k + x return k, s end end")
        let first = try source.capture("make(10, 'a')").get()
        let second = try source.capture("make(20, 'b')").get()
        guard case .closure(let one) = first.graph.roots[0], case .closure(let two) = second.graph.roots[0] else {
            Issue.record("expected flat closures, got \(first.graph.roots), \(second.graph.roots)")
            return
        }
        // (A bare state has no recent-code cache: each closure is dumped; a runtime's states share
        // one code per literal, which function_literals.lua checks by behaviour.)
        #expect(one.code.factory != nil && two.code.factory != nil)
        #expect(target.check(first, "function(f) firstF = f local k, s = f(1) return k == 11 and s == 'a' end"))
        #expect(target.check(second, """
            function(f) local k, s = f(2) local k1 = firstF(1)
                return not rawequal(f, firstF) and k == 22 and s == 'b' and k1 == 12 end
            """))
        #expect(target.holds("next(registry_table('factories')) ~= nil"))
    }
}
