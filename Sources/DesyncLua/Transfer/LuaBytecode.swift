import CLua

/// Lua functions cross as bytecode: dumped once per closure in the source, loaded in the target
/// (once per closure when it has nothing to bind).
enum LuaBytecode {
    /// The code of the Lua function at absolute `index`, dumped with debug information kept so
    /// tracebacks and upvalue names survive. Each closure is dumped once: its code is kept in the
    /// state's `LuaRegistryTable.dumpedBytecode` (in a userdata that holds a reference to it), and
    /// the same `LuaFunctionCode` comes back every time.
    ///
    /// - Parameters:
    ///   - cache: the absolute index of the dump cache table, or 0 when it is not on the stack
    ///     yet; then it is pushed (and `cache` set) only if the code is not found without it.
    ///   - reusable: the function has nothing to bind (`hasNothingToBind`), so the state's
    ///     `RecentFunctionCodes` may find it by address and remember it.
    static func code(
        ofFunctionAt index: Int32, cache: inout Int32, reusable: Bool, in L: OpaquePointer
    ) -> LuaFunctionCode {
        if reusable, let code = LuaStateContext.withRecentFunctionCodes(of: L, { $0.code(ofFunctionAt: index, in: L) }) {
            return code
        }
        // Which closure this is, before anything allocates (see `RecentFunctionCodes.remember`).
        let closure = lua_topointer(L, index)
        let recent = reusable ? LuaStateContext.of(L)?.recentFunctionCodes : nil
        if cache == 0 {
            LuaRegistryTable.push(.dumpedBytecode, onto: L)
            cache = lua_gettop(L)
        }
        let code = dumpedCode(ofFunctionAt: index, cache: cache, in: L)
        if let recent, let closure { recent.remember(code, forClosure: closure, at: index, in: L) }
        return code
    }

    /// The closure's code from the dump cache at `cache`, dumped and cached there when missing.
    private static func dumpedCode(ofFunctionAt index: Int32, cache: Int32, in L: OpaquePointer) -> LuaFunctionCode {
        lua_pushvalue(L, index)
        lua_rawget(L, cache)
        if let code = LuaProxy.object(at: -1, in: L, as: LuaFunctionCode.self) {
            desync_pop(L, 1)
            return code
        }
        desync_pop(L, 1)

        var bytes: [UInt8] = []
        lua_pushvalue(L, index)
        withUnsafeMutablePointer(to: &bytes) { buffer in
            _ = lua_dump(L, appendDumpedBytes, buffer, 0)
        }
        desync_pop(L, 1)
        let code = LuaFunctionCode(bytecode: bytes)

        lua_pushvalue(L, index)
        LuaProxy.push(code, onto: L)
        lua_rawset(L, cache)
        return code
    }

    /// Whether the Lua function at absolute `index` has nothing to bind: no upvalues, or just an
    /// `_ENV` that is the globals, which is how `lua_load` binds a first upvalue. Such a closure
    /// carries no state of its own, so it crosses as its code alone (`pushReusable`). Needs 2
    /// free stack slots; leaves the stack as it was.
    static func hasNothingToBind(functionAt index: Int32, in L: OpaquePointer) -> Bool {
        guard let name = lua_getupvalue(L, index, 1) else { return true }
        lua_rawgeti(L, DESYNC_LUA_REGISTRYINDEX, lua_Integer(DESYNC_LUA_RIDX_GLOBALS))
        // strcmp, not a Swift String: this runs on every capture of a function.
        let isGlobalEnvironment = lua_rawequal(L, -1, -2) != 0 && strcmp(name, "_ENV") == 0
        desync_pop(L, 2)
        guard isGlobalEnvironment else { return false }
        if lua_getupvalue(L, index, 2) != nil {
            desync_pop(L, 1)
            return false
        }
        return true
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

    /// Pushes the closure for `code` that this state keeps for reuse, loading it on first use.
    /// Only for functions with nothing to bind (`hasNothingToBind`): such a closure
    /// carries no state of its own, so handing out one loaded copy every time is the same as
    /// loading a fresh one, and keeps one identity per source closure. The cache is the state's
    /// `LuaRegistryTable.loadedFunctions`, keyed by `code.id`.
    static func pushReusable(_ code: LuaFunctionCode, onto L: OpaquePointer) {
        LuaRegistryTable.push(.loadedFunctions, onto: L)
        if lua_rawgeti(L, -1, lua_Integer(code.id)) == LUA_TFUNCTION {
            desync_remove(L, -2)
            return
        }
        desync_pop(L, 1)
        load(code.bytecode, onto: L)
        lua_pushvalue(L, -1)
        lua_rawseti(L, -3, lua_Integer(code.id))
        desync_remove(L, -2)
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
