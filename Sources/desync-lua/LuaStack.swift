import CLua

/// The host's hands on its Lua state. Only operations that cannot raise a Lua error are here:
/// raw table access, pushes and reads. A raise is a longjmp, and it must never cross a Swift
/// frame; desync's allocator aborts instead of failing, so pushes cannot raise either. Anything
/// that may run Lua code or metamethods goes through `ChunkRunner`'s protected calls.
struct LuaStack {
    let state: OpaquePointer

    var top: Int32 { lua_gettop(state) }

    func setTop(_ index: Int32) { lua_settop(state, index) }
    func pop(_ count: Int32 = 1) { lua_settop(state, -count - 1) }
    func remove(at index: Int32) { desync_remove(state, index) }
    func insert(at index: Int32) { desync_insert(state, index) }
    func type(at index: Int32) -> Int32 { lua_type(state, index) }

    /// False when the stack cannot grow by `count` slots (it does not raise, unlike luaL_checkstack).
    func reserve(_ count: Int32) -> Bool { lua_checkstack(state, count) != 0 }

    func push(_ string: String) {
        var string = string
        string.withUTF8 { bytes in _ = lua_pushlstring(state, bytes.baseAddress, bytes.count) }
    }

    func pushGlobals() { _ = lua_rawgeti(state, DESYNC_LUA_REGISTRYINDEX, lua_Integer(DESYNC_LUA_RIDX_GLOBALS)) }

    /// Pushes `_G[name]` read without metamethods; returns its type.
    @discardableResult
    func pushGlobal(_ name: String) -> Int32 {
        pushGlobals()
        push(name)
        let type = lua_rawget(state, -2)
        desync_remove(state, -2)
        return type
    }

    /// Pops the top value into `_G[name]`, without metamethods.
    func setGlobal(_ name: String) {
        pushGlobals()
        push(name)
        lua_rotate(state, -3, -1)  // globals, name, value
        lua_rawset(state, -3)
        pop()
    }

    /// Pushes `registry[key]`.
    func pushRegistryValue(_ key: String) {
        push(key)
        _ = lua_rawget(state, DESYNC_LUA_REGISTRYINDEX)
    }

    /// Pops the top value into `registry[key]`.
    func setRegistryValue(_ key: String) {
        push(key)
        lua_rotate(state, -2, 1)  // key, value
        lua_rawset(state, DESYNC_LUA_REGISTRYINDEX)
    }

    /// Pops the top value into `table[key]` for the table at `tableIndex` (absolute).
    func setField(of tableIndex: Int32, _ key: String) {
        push(key)
        lua_rotate(state, -2, 1)
        lua_rawset(state, tableIndex)
    }

    /// The bytes of a string or number value (a number is converted as `tostring` would).
    func bytes(at index: Int32) -> [UInt8]? {
        let type = lua_type(state, index)
        guard type == LUA_TSTRING || type == LUA_TNUMBER else { return nil }
        var length = 0
        guard let pointer = lua_tolstring(state, index, &length) else { return nil }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    func string(at index: Int32) -> String? {
        bytes(at: index).map { String(decoding: $0, as: UTF8.self) }
    }

    func typeName(at index: Int32) -> String {
        String(cString: lua_typename(state, lua_type(state, index)))
    }
}
