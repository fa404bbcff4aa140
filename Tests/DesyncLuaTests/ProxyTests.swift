import CLua
@testable import DesyncLua
import Testing

final class TestSharedObject: LuaSharedObject {
    static let luaTypeName = "desync.test"
    let name: String

    init(name: String) {
        self.name = name
    }
}

final class OtherSharedObject: LuaSharedObject {
    static let luaTypeName = "desync.other"
}

@Suite("Proxies of shared objects")
struct ProxyTests {
    @Test func aProxyGivesBackTheSameObject() throws {
        let state = TestLuaState()
        let object = TestSharedObject(name: "a")
        LuaProxy.push(object, onto: state.L)
        #expect(LuaProxy.object(at: -1, in: state.L) === object)
        #expect(LuaProxy.object(at: -1, in: state.L, as: TestSharedObject.self) === object)
        #expect(LuaProxy.object(at: -1, in: state.L, as: OtherSharedObject.self) == nil)
        #expect(lua_gettop(state.L) == 1)
    }

    @Test func theSameObjectHasOneProxyPerState() {
        let state = TestLuaState()
        let object = TestSharedObject(name: "a")
        LuaProxy.push(object, onto: state.L)
        LuaProxy.push(object, onto: state.L)
        LuaProxy.push(TestSharedObject(name: "b"), onto: state.L)
        #expect(lua_rawequal(state.L, 1, 2) != 0)
        #expect(lua_rawequal(state.L, 1, 3) == 0)
    }

    @Test func otherValuesAreNotProxies() {
        let state = TestLuaState()
        state.run("return nil, 1, 'x', {}, io.stdout, setmetatable({}, {__name = 'desync.test'}), print")
        lua_pushlightuserdata(state.L, LuaProxy.marker)
        for index in 1...lua_gettop(state.L) {
            #expect(LuaProxy.object(at: index, in: state.L) == nil)
        }
        #expect(lua_gettop(state.L) == 8)
    }

    @Test func theMetatableIsOnePerTypeName() {
        let state = TestLuaState()
        LuaProxy.push(TestSharedObject(name: "a"), onto: state.L)
        LuaProxy.metatable(forTypeName: TestSharedObject.luaTypeName, onto: state.L)
        #expect(lua_getmetatable(state.L, 1) != 0)
        #expect(lua_rawequal(state.L, 2, 3) != 0)
        LuaProxy.push(OtherSharedObject(), onto: state.L)
        #expect(lua_getmetatable(state.L, -1) != 0)
        #expect(lua_rawequal(state.L, 2, -1) == 0)
    }

    @Test func aMetatableMadeByLuaLNewmetatableBecomesAProxyMetatable() {
        let state = TestLuaState()
        _ = luaL_newmetatable(state.L, OtherSharedObject.luaTypeName)
        let object = OtherSharedObject()
        LuaProxy.push(object, onto: state.L)
        #expect(lua_getmetatable(state.L, 2) != 0)
        #expect(lua_rawequal(state.L, 1, 3) != 0)
        #expect(LuaProxy.object(at: 2, in: state.L) === object)
    }

    @Test func proxiesCrossAsTheSameObject() throws {
        let source = TestLuaState(), target = TestLuaState()
        let object = TestSharedObject(name: "shared")
        LuaProxy.push(object, onto: source.L)
        lua_pushvalue(source.L, -1)
        lua_createtable(source.L, 0, 1)
        lua_pushstring(source.L, "again")
        lua_pushvalue(source.L, 1)
        lua_rawset(source.L, -3)
        let cargo = try LuaCargo.capture(from: source.L, first: 1, count: 3).get()
        #expect(cargo.push(onto: target.L) == 3)
        #expect(LuaProxy.object(at: 1, in: target.L) === object)
        #expect(lua_rawequal(target.L, 1, 2) != 0)
        #expect(lua_rawequal(target.L, 1, -1) == 0)
        lua_pushstring(target.L, "again")
        lua_rawget(target.L, 3)
        #expect(lua_rawequal(target.L, 1, -1) != 0)
        #expect(target.holds("true"))
    }

    @Test func proxiesHaveTheirTypeName() {
        let state = TestLuaState()
        LuaProxy.push(TestSharedObject(name: "a"), onto: state.L)
        lua_pushvalue(state.L, 1)
        state.popIntoGlobal("proxy")
        #expect(state.holds("tostring(proxy):match('^desync%.test: ') ~= nil"))
        #expect(state.holds("debug.getmetatable(proxy) == debug.getregistry()['desync.test']"))
        // The table is hidden from scripts: `__gc` cannot be called by hand.
        #expect(state.holds("getmetatable(proxy) == false"))
    }

    @Test func closingTheStateReleasesTheObject() {
        weak var released: TestSharedObject?
        do {
            let state = TestLuaState()
            let object = TestSharedObject(name: "a")
            released = object
            LuaProxy.push(object, onto: state.L)
            LuaProxy.push(object, onto: state.L)
        }
        #expect(released == nil)
    }

    @Test func collectingTheProxyReleasesTheObject() {
        let state = TestLuaState()
        weak var released: TestSharedObject?
        do {
            let object = TestSharedObject(name: "a")
            released = object
            LuaProxy.push(object, onto: state.L)
            desync_pop(state.L, 1)
        }
        #expect(released != nil)
        state.run("collectgarbage() collectgarbage()")
        #expect(released == nil)
    }

    @Test func callingGcTwiceReleasesOnce() {
        let state = TestLuaState()
        let object = TestSharedObject(name: "a")
        weak var released: TestSharedObject?
        released = object
        LuaProxy.push(object, onto: state.L)
        lua_pushvalue(state.L, 1)
        state.popIntoGlobal("proxy")
        state.run("local mt = debug.getmetatable(proxy) mt.__gc(proxy) mt.__gc(proxy) mt.__gc(io.stdout)")
        #expect(LuaProxy.object(at: 1, in: state.L) == nil)
        // The released proxy is not handed out again for the same object.
        LuaProxy.push(object, onto: state.L)
        #expect(LuaProxy.object(at: -1, in: state.L) === object)
        #expect(lua_rawequal(state.L, 1, -1) == 0)
        #expect(released != nil)
        _ = object
    }

    @Test func proxiesCrossBetweenThreads() async throws {
        let object = TestSharedObject(name: "threads")
        let source = TestLuaState()
        LuaProxy.push(object, onto: source.L)
        let cargo = try LuaCargo.capture(from: source.L, first: 1, count: 1).get()
        let seen = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let target = TestLuaState()
                    cargo.push(onto: target.L)
                    return LuaProxy.object(at: -1, in: target.L) === object
                }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(seen)
    }
}
