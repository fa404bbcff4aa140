import CLua
@testable import DesyncLua
import Testing

@Suite("Transfer of tables")
struct TransferTableTests {
    @Test func tablesAreDeepCopies() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("shared = {inner = {list = {1, 2, 3}}, name = 'n'}")
        #expect(try transfer("shared", from: source, to: target, check: """
            function(t)
                local ok = t.name == 'n' and #t.inner.list == 3 and t.inner.list[3] == 3
                t.inner.list[1] = 'changed'; t.name = 'changed'
                return ok
            end
            """))
        #expect(source.holds("shared.inner.list[1] == 1 and shared.name == 'n'"))
    }

    @Test func cyclesAreKept() throws {
        let source = TestLuaState(), target = TestLuaState()
        #expect(try transfer("(function() local a, b = {}, {} a.b = b b.a = a a.me = a return a end)()", from: source, to: target, check: """
            function(a) return a.me == a and a.b.a == a and a.b ~= a end
            """))
    }

    @Test func sharedReferencesAcrossValuesAreKept() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("s = {}")
        #expect(try transfer("{x = s, y = s}, s, {s}", from: source, to: target, check: """
            function(t, s, list) return t.x == t.y and t.x == s and list[1] == s end
            """))
    }

    @Test func keysOfEveryKindAreCopied() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("key = {} t = {[1] = 'one', [2.5] = 'float', [true] = 'yes', [false] = 'no', name = 'str', [key] = 'table', [print] = 'cfunction'}")
        #expect(try transfer("t, key", from: source, to: target, check: """
            function(t, key)
                local count = 0 for _ in pairs(t) do count = count + 1 end
                return count == 7 and t[1] == 'one' and t[2.5] == 'float' and t[true] == 'yes'
                    and t[false] == 'no' and t.name == 'str' and t[key] == 'table' and t[print] == 'cfunction'
            end
            """))
    }

    @Test func metatablesAreCopiedAndShared() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("""
            meta = {__index = function(_, k) return k .. '!' end, __metatable = 'locked'}
            a, b = setmetatable({}, meta), setmetatable({}, meta)
            """)
        #expect(try transfer("a, b", from: source, to: target, check: """
            function(a, b)
                return a.foo == 'foo!' and getmetatable(a) == 'locked'
                    and debug.getmetatable(a) == debug.getmetatable(b)
            end
            """))
    }

    @Test func metatableFinalizersWorkInTheTarget() throws {
        let source = TestLuaState(), target = TestLuaState()
        let cargo = try source.capture("setmetatable({}, {__gc = function() finalized = true end})").get()
        #expect(target.check(cargo, "function(t) return getmetatable(t).__gc ~= nil end"))
        #expect(target.holds("(function() collectgarbage() collectgarbage() return finalized == true end)()"))
        #expect(source.holds("finalized == nil"))
    }

    @Test func captureNeverRunsMetamethods() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("""
            guarded = setmetatable({x = 1}, {
                __index = function() error('index ran') end, __newindex = function() error('newindex ran') end,
                __pairs = function() error('pairs ran') end, __len = function() error('len ran') end})
            """)
        #expect(try transfer("guarded", from: source, to: target, check: """
            function(t) return rawget(t, 'x') == 1 and rawlen(t) == 0 end
            """))
    }

    @Test func weakTablesStayWeak() throws {
        let source = TestLuaState(), target = TestLuaState()
        #expect(try transfer("setmetatable({}, {__mode = 'k'})", from: source, to: target, check: """
            function(t) t[{}] = true collectgarbage() collectgarbage() return next(t) == nil end
            """))
    }

    @Test func hugeTablesAreCopied() throws {
        let source = TestLuaState(), target = TestLuaState()
        source.run("""
            list, map = {}, {}
            for i = 1, 100000 do list[i] = i map['k' .. i] = {i} end
            """)
        #expect(try transfer("list, map", from: source, to: target, check: """
            function(list, map)
                if #list ~= 100000 then return false end
                local sum, count = 0, 0
                for i = 1, #list do sum = sum + list[i] end
                for k, v in pairs(map) do count = count + 1 if map['k' .. v[1]] ~= v then return false end end
                return sum == 100000 * 100001 // 2 and count == 100000
            end
            """))
    }
}
