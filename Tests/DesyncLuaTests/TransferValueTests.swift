import CLua
@testable import DesyncLua
import Testing

@Suite("Transfer of plain values")
struct TransferValueTests {
    @Test func nilAndBooleansAreCopied() throws {
        let source = TestLuaState(), target = TestLuaState()
        let cargo = try source.capture("nil, true, false, nil").get()
        #expect(cargo.count == 4)
        #expect(target.check(cargo, "function(...) local a, b, c, d = ... return select('#', ...) == 4 and a == nil and b == true and c == false and d == nil end"))
    }

    @Test func integersAndFloatsStayDistinct() throws {
        let source = TestLuaState(), target = TestLuaState()
        #expect(try transfer("3, 3.0, math.maxinteger, math.mininteger, -0.0, 1/0, 0/0, 2^53", from: source, to: target, check: """
            function(i, f, max, min, negzero, inf, nan, big)
                return math.type(i) == "integer" and i == 3
                    and math.type(f) == "float" and f == 3.0
                    and max == math.maxinteger and math.type(max) == "integer"
                    and min == math.mininteger
                    and math.type(negzero) == "float" and 1/negzero == -1/0
                    and inf == 1/0 and nan ~= nan and math.type(big) == "float"
            end
            """))
    }

    @Test func stringsAreBinarySafe() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("allBytes = {} for i = 0, 255 do allBytes[#allBytes + 1] = string.char(i) end allBytes = table.concat(allBytes)")
        target.run("allBytes = {} for i = 0, 255 do allBytes[#allBytes + 1] = string.char(i) end allBytes = table.concat(allBytes)")
        #expect(try transfer("'a\\0b\\0', '', allBytes, string.rep('x\\0', 500000)", from: source, to: target, check: """
            function(zeros, empty, all, big)
                return zeros == "a\\0b\\0" and #zeros == 4 and empty == "" and all == allBytes
                    and #big == 1000000 and big == string.rep("x\\0", 500000)
            end
            """))
    }

    @Test func emptyCargoPushesNothing() {
        let target = TestLuaState()
        let top = lua_gettop(target.L)
        #expect(LuaCargo().push(onto: target.L) == 0)
        #expect(LuaCargo().count == 0)
        #expect(lua_gettop(target.L) == top)
    }

    @Test func captureTakesTheRequestedSliceOfTheStack() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("return 1, 2, 3, 4")
        let cargo = try LuaCargo.capture(from: source.L, first: 2, count: 2).get()
        #expect(lua_gettop(source.L) == 4)
        #expect(target.check(cargo, "function(...) local a, b = ... return select('#', ...) == 2 and a == 2 and b == 3 end"))
    }

    @Test func cargoCrossesThreads() async throws {
        let source = TestLuaState()
        let cargo = try source.capture("{answer = 42, greet = function(name) return 'hello ' .. name end}").get()
        let pushedElsewhere = await Task.detached {
            let target = TestLuaState()
            return target.check(cargo, "function(t) return t.answer == 42 and t.greet('x') == 'hello x' end")
        }.value
        #expect(pushedElsewhere)
    }
}
