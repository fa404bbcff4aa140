import CLua

/// The weak bookkeeping tables that transfer keeps in each state's registry, created on first use.
enum LuaRegistryTable {
    /// Source side: Lua function -> a userdata holding its `LuaFunctionCode`. Weak keys, so
    /// caching a closure never keeps it alive (the userdata goes with it and lets the code go).
    case dumpedBytecode
    /// Target side: `LuaFunctionCode.id` -> the closure loaded from it, for functions with nothing
    /// to bind.
    /// Weak values, so an unused closure is collected and simply loaded again next time.
    case loadedFunctions
    /// Proxy identity: the address of a shared object -> its proxy userdata in this state. Weak
    /// values, which Lua clears before the proxy's `__gc` runs, so a live entry always belongs to a
    /// proxy that still retains the object at that address.
    case liveProxies
    /// Swift functions pushed by `LuaSwiftFunction.push`: closure -> true. Weak keys, so the record
    /// never keeps a function alive. Transfer recognises "the same Swift function" by membership.
    case swiftFunctions

    /// A `StaticString`, pushed from its bytes: a Swift `String` passed as a C string may be
    /// copied into a temporary allocation on every push, and the transfer tables are pushed for
    /// every job.
    private var registryKey: StaticString {
        switch self {
        case .dumpedBytecode: "desync.transfer.dumped"
        case .loadedFunctions: "desync.transfer.loaded"
        case .liveProxies: "desync.proxies"
        case .swiftFunctions: "desync.swiftfunctions"
        }
    }

    private var weakMode: StaticString {
        switch self {
        case .dumpedBytecode, .swiftFunctions: "k"
        case .loadedFunctions, .liveProxies: "v"
        }
    }

    /// Pushes the table and returns true when the state has it; pushes nothing and returns false
    /// otherwise. Uses one stack slot.
    static func pushIfPresent(_ table: LuaRegistryTable, onto L: OpaquePointer) -> Bool {
        table.pushKey(onto: L)
        if lua_rawget(L, DESYNC_LUA_REGISTRYINDEX) == LUA_TTABLE { return true }
        desync_pop(L, 1)
        return false
    }

    /// Pushes the table, creating it when missing. Uses four stack slots at most.
    static func push(_ table: LuaRegistryTable, onto L: OpaquePointer) {
        table.pushKey(onto: L)
        if lua_rawget(L, DESYNC_LUA_REGISTRYINDEX) == LUA_TTABLE { return }
        desync_pop(L, 1)
        lua_createtable(L, 0, 0)
        lua_createtable(L, 0, 1)
        lua_pushstring(L, "__mode")
        table.weakMode.withUTF8Buffer { bytes in
            _ = lua_pushlstring(L, UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        lua_rawset(L, -3)
        lua_setmetatable(L, -2)
        table.pushKey(onto: L)
        lua_pushvalue(L, -2)
        lua_rawset(L, DESYNC_LUA_REGISTRYINDEX)
    }

    private func pushKey(onto L: OpaquePointer) {
        let key = registryKey
        key.withUTF8Buffer { bytes in
            _ = lua_pushlstring(L, UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
    }
}
