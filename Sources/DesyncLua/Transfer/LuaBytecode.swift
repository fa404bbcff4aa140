import CLua

/// Lua functions cross as bytecode: dumped once per closure in the source, loaded in the target.
enum LuaBytecode {
    /// The bytecode of the Lua function at absolute `index`, with debug information kept so
    /// tracebacks and upvalue names survive. `cache` is the absolute index of the state's
    /// `LuaRegistryTable.dumpedBytecode`; a closure already dumped is not dumped again.
    static func dump(functionAt index: Int32, cache: Int32, in L: OpaquePointer) -> [UInt8] {
        lua_pushvalue(L, index)
        if lua_rawget(L, cache) == LUA_TSTRING {
            let bytes = LuaBytes.read(at: -1, in: L)
            desync_pop(L, 1)
            return bytes
        }
        desync_pop(L, 1)

        var bytes: [UInt8] = []
        lua_pushvalue(L, index)
        withUnsafeMutablePointer(to: &bytes) { buffer in
            _ = lua_dump(L, appendDumpedBytes, buffer, 0)
        }
        desync_pop(L, 1)

        lua_pushvalue(L, index)
        LuaBytes.push(bytes, onto: L)
        lua_rawset(L, cache)
        return bytes
    }

    /// Pushes a fresh closure loaded from `bytecode`. As with any `lua_load`, a first upvalue is
    /// bound to the target's globals and the others are nil until the caller sets them.
    static func load(_ bytecode: [UInt8], onto L: OpaquePointer) {
        let status = bytecode.withUnsafeBytes { raw in
            luaL_loadbufferx(
                L, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count,
                "=(transferred function)", "b")
        }
        // Bytecode from lua_dump of this same liblua always loads; anything else is a bug here.
        precondition(status == LUA_OK, "desync: transferred bytecode did not load")
    }

    /// Pushes the closure for `bytecode` that this state keeps for reuse, loading it on first
    /// use. Only for functions that need no binding (`LuaCargoFunction.needsNoBinding`).
    /// `cache` is the absolute index of the state's `LuaRegistryTable.loadedFunctions`.
    static func pushReusable(_ bytecode: [UInt8], cache: Int32, onto L: OpaquePointer) {
        LuaBytes.push(bytecode, onto: L)
        lua_pushvalue(L, -1)
        if lua_rawget(L, cache) == LUA_TFUNCTION {
            desync_remove(L, -2)
            return
        }
        desync_pop(L, 1)
        load(bytecode, onto: L)
        lua_pushvalue(L, -1)
        desync_insert(L, -3)
        lua_rawset(L, cache)
    }
}

/// `lua_dump`'s writer: appends each chunk to the `[UInt8]` that `ud` points to.
private func appendDumpedBytes(
    _ L: OpaquePointer?, _ chunk: UnsafeRawPointer?, _ size: Int, _ ud: UnsafeMutableRawPointer?
) -> Int32 {
    guard let ud else { return 1 }
    guard let chunk, size > 0 else { return 0 }
    ud.assumingMemoryBound(to: [UInt8].self).pointee
        .append(contentsOf: UnsafeRawBufferPointer(start: chunk, count: size))
    return 0
}
