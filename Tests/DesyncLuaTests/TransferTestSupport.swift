import CLua
@testable import DesyncLua
import Testing

/// A Lua state owned by one test and closed when the test lets go of it.
final class TestLuaState {
    let L: OpaquePointer

    init() {
        L = desync_newstate()!
        lua_pushcclosure(L, registryTableLookup, 0)
        popIntoGlobal("registry_table")
    }

    deinit {
        lua_close(L)
    }

    /// Runs `source` and leaves its results on the stack; returns how many. A Lua error is
    /// recorded as a test failure and leaves nothing.
    @discardableResult
    func run(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) -> Int32 {
        let top = lua_gettop(L)
        guard luaL_loadstring(L, source) == LUA_OK,
              desync_pcall(L, 0, DESYNC_LUA_MULTRET, 0) == LUA_OK
        else {
            Issue.record("Lua error: \(String(cString: desync_tostring(L, -1)))", sourceLocation: sourceLocation)
            lua_settop(L, top)
            return 0
        }
        return lua_gettop(L) - top
    }

    /// Evaluates `expressions` (e.g. "a, b") and captures the results, leaving the stack as it was.
    func capture(
        _ expressions: String, describe: (Int) -> String = { "argument \($0)" },
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Result<LuaCargo, LuaTransferError> {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        let count = run("return \(expressions)", sourceLocation: sourceLocation)
        let result = LuaCargo.capture(from: L, first: top + 1, count: count, describe: describe)
        #expect(lua_gettop(L) == top + count, "capture must leave the stack as it was", sourceLocation: sourceLocation)
        return result
    }

    /// Calls the Lua function `check` with the cargo's values pushed here; true when it returns
    /// true. Any error is recorded as a test failure.
    func check(_ cargo: LuaCargo, _ check: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard run("return \(check)", sourceLocation: sourceLocation) == 1 else { return false }
        let pushed = cargo.push(onto: L)
        #expect(pushed == Int32(cargo.count), sourceLocation: sourceLocation)
        #expect(lua_gettop(L) == top + 1 + pushed, "push must leave exactly the values", sourceLocation: sourceLocation)
        guard desync_pcall(L, pushed, 1, 0) == LUA_OK else {
            Issue.record("Lua error: \(String(cString: desync_tostring(L, -1)))", sourceLocation: sourceLocation)
            return false
        }
        return lua_toboolean(L, -1) != 0
    }

    /// Pops the value on top of the stack into the global `name`, without metamethods.
    func popIntoGlobal(_ name: String) {
        lua_rawgeti(L, DESYNC_LUA_REGISTRYINDEX, lua_Integer(DESYNC_LUA_RIDX_GLOBALS))
        lua_pushstring(L, name)
        lua_rotate(L, -3, -1)
        lua_rawset(L, -3)
        desync_pop(L, 1)
    }

    /// Whether the Lua expression `condition` is true in this state.
    func holds(_ condition: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        return run("return \(condition)", sourceLocation: sourceLocation) == 1 && lua_toboolean(L, -1) != 0
    }
}

/// `registry_table(name)` in every test state: transfer's table `name` ("dumped", "loaded",
/// "proxies", "swiftfunctions"), or nil before its first use. The registry keys them by light
/// userdata that only Swift can make, so Lua test code asks Swift for them.
private let registryTableLookup: lua_CFunction = { L in
    guard let L else { return 0 }
    let tables: [String: LuaRegistryTable] = [
        "dumped": .dumpedBytecode, "loaded": .loadedFunctions, "proxies": .liveProxies, "swiftfunctions": .swiftFunctions,
        "factories": .closureFactories,
    ]
    guard let name = lua_tolstring(L, 1, nil).map({ String(cString: $0) }), let table = tables[name],
          LuaRegistryTable.pushIfPresent(table, onto: L)
    else {
        lua_pushnil(L)
        return 1
    }
    return 1
}

/// Captures `expressions` in `source` and checks them in `target` with the Lua function `check`.
func transfer(
    _ expressions: String, from source: TestLuaState, to target: TestLuaState, check: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> Bool {
    let cargo = try source.capture(expressions, sourceLocation: sourceLocation).get()
    return target.check(cargo, check, sourceLocation: sourceLocation)
}

/// The message of the error capturing `expressions` gives, or nil when it succeeds.
func refusal(_ expressions: String, in state: TestLuaState, describe: (Int) -> String = { "argument \($0)" }) -> String? {
    switch state.capture(expressions, describe: describe) {
    case .success: nil
    case .failure(let error): error.message
    }
}
