import CLua
@testable import DesyncLua
import Testing

/// Tables of plain keys and values cross as bytes (`LuaFlatTable`), without the graph walk;
/// everything a table could share or be named by must still go through the full capture.
@Suite("Transfer of flat tables")
struct TransferFlatTableTests {
    /// Whether the capture of `expressions` holds a flat table among its top-level values.
    private func isFlat(_ expressions: String, in state: TestLuaState) throws -> Bool {
        let cargo = try state.capture(expressions).get()
        let values: [LuaCargoValue]
        switch cargo.storage {
        case .none: values = []
        case .one(let value): values = [value]
        case .two(let first, let second): values = [first, second]
        case .graph(let graph): values = graph.roots
        }
        return values.contains { if case .flatTable = $0 { true } else { false } }
    }

    @Test func aRecordTakesTheFlatPathAndArrivesWhole() throws {
        let source = TestLuaState(), target = TestLuaState()
        let record = "{ a = 1, b = 2.5, c = 'three', d = true, e = false, [7] = 'seven', [2.5] = 'float key', [true] = 'yes', j = 10 }"
        #expect(try isFlat(record, in: source))
        #expect(try transfer(record, from: source, to: target, check: """
            function(t)
                local count = 0 for _ in pairs(t) do count = count + 1 end
                return count == 9 and t.a == 1 and math.type(t.a) == 'integer' and t.b == 2.5
                    and t.c == 'three' and t.d == true and t.e == false and t[7] == 'seven'
                    and t[2.5] == 'float key' and t[true] == 'yes' and t.j == 10
                    and getmetatable(t) == nil
            end
            """))
    }

    @Test func extremeNumbersAndBinaryStringsArriveExactly() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("long = string.rep('x\\0y', 300)")
        let record = "{ math.maxinteger, math.mininteger, 1/0, -1/0, 0/0, -0.0, 'a\\0b', '', long, [math.mininteger] = 'min' }"
        #expect(try isFlat(record, in: source))
        target.run("long = string.rep('x\\0y', 300)")
        #expect(try transfer(record, from: source, to: target, check: """
            function(t)
                return #t == 9 and t[1] == math.maxinteger and t[2] == math.mininteger and t[3] == 1/0
                    and t[4] == -1/0 and t[5] ~= t[5] and t[6] == 0 and 1/t[6] == -1/0
                    and t[7] == 'a\\0b' and #t[7] == 3 and t[8] == '' and t[9] == long
                    and t[math.mininteger] == 'min'
            end
            """))
    }

    @Test func anArrayKeepsItsLength() throws {
        let source = TestLuaState(), target = TestLuaState()
        let list = "{ 10, 20, 30, 40, 50, n = 5 }"
        #expect(try isFlat(list, in: source))
        #expect(try transfer(list, from: source, to: target, check: """
            function(t) return #t == 5 and t[5] == 50 and t.n == 5 and select('#', table.unpack(t)) == 5 end
            """))
    }

    @Test func theCopyIsIndependentOfTheSource() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("record = { n = 1 }")
        #expect(try isFlat("record", in: source))
        let cargo = try source.capture("record").get()
        source.run("record.n = 2")
        #expect(target.check(cargo, "function(t) t.n = 3 return t.n == 3 end"))
        #expect(target.check(cargo, "function(t) return t.n == 1 end"), "each push makes a new table")
        #expect(source.holds("record.n == 2"))
    }

    @Test func oneTablePassedTwiceStaysOneTable() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("record = { n = 1 }")
        #expect(try transfer("record, record", from: source, to: target, check: """
            function(a, b) return rawequal(a, b) and a.n == 1 end
            """))
        #expect(try transfer("1, record, record", from: source, to: target, check: """
            function(_, a, b) return rawequal(a, b) and a.n == 1 end
            """))
    }

    @Test func twoTablesArriveAsTwoTables() throws {
        let source = TestLuaState(), target = TestLuaState()
        #expect(try transfer("{ n = 1 }, { n = 2 }", from: source, to: target, check: """
            function(a, b) return not rawequal(a, b) and a.n == 1 and b.n == 2 end
            """))
    }

    @Test func tablesThatAreNotFlatTakeTheFullCapture() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("""
            nested = { inner = { 1 } }
            withFunction = { f = print }
            withMetatable = setmetatable({ n = 1 }, { __index = function() return 'meta' end })
            big = {} for i = 1, 100 do big['k' .. i] = i end
            huge = { s = string.rep('z', 4000) }
            """)
        for expression in ["nested", "withFunction", "withMetatable", "big", "huge", "_G"] {
            #expect(try !isFlat(expression, in: source), "\(expression)")
        }
        #expect(try transfer("withMetatable, big, huge, _G", from: source, to: target, check: """
            function(m, big, huge, g)
                local count = 0 for _ in pairs(big) do count = count + 1 end
                return m.n == 1 and m.other == 'meta' and count == 100 and big.k100 == 100
                    and #huge.s == 4000 and rawequal(g, _G)
            end
            """))
    }

    @Test func aModuleOfPlainValuesStillCrossesByName() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("config = { size = 1 } package.loaded.config = config")
        target.run("package.loaded.config = { size = 2 }")
        #expect(try !isFlat("config", in: source))
        #expect(try transfer("config", from: source, to: target, check: """
            function(c) return rawequal(c, package.loaded.config) and c.size == 2 end
            """))
    }
}
