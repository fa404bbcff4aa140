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
    /// Target side: closure of `loadedFunctions` -> a light userdata, the `lua_upvalueid` of the
    /// first upvalue it was loaded with. Weak keys, so it never keeps a closure alive.
    case loadedCells
    /// Target side: `LuaFunctionCode.id` -> the closure factory loaded from its `factory`. Weak
    /// values, like `loadedFunctions`.
    case closureFactories
    /// Proxy identity: the address of a shared object -> its proxy userdata in this state. Weak
    /// values, which Lua clears before the proxy's `__gc` runs, so a live entry always belongs to a
    /// proxy that still retains the object at that address.
    case liveProxies
    /// Swift functions pushed by `LuaSwiftFunction.push`: closure -> true. Weak keys, so the record
    /// never keeps a function alive. Transfer recognises "the same Swift function" by membership.
    case swiftFunctions
    /// Target side: a Swift function's address (light userdata) -> the closure this state's
    /// `desync` module registered for it (`LuaFunctions.register`), so that `desync.sleep` sent
    /// to a job is that job's `desync.sleep` (`rawequal`). Weak values.
    case moduleFunctions

    /// The table's key in the registry: a light userdata, the address of one byte that only this
    /// module has, as the Lua manual suggests for a C library's registry entries. Looked up for
    /// every job; a string key cost a string interning (hashing its bytes) on each push, a quarter
    /// of running a small job (callgrind: 445 instructions of ~2,300). No Lua code can make this
    /// key, so none can replace the table by name.
    private var registryKey: UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: Self.keyBase + index)!
    }

    /// Seven bytes allocated once and never touched: only their addresses matter. Kept as an
    /// address (a Sendable integer), since nothing reads or writes through it.
    private static let keyBase = Int(bitPattern: UnsafeMutableRawPointer.allocate(byteCount: 7, alignment: 1))

    private var index: Int {
        switch self {
        case .dumpedBytecode: 0
        case .loadedFunctions: 1
        case .liveProxies: 2
        case .swiftFunctions: 3
        case .moduleFunctions: 4
        case .loadedCells: 5
        case .closureFactories: 6
        }
    }

    private var weakMode: StaticString {
        switch self {
        case .dumpedBytecode, .swiftFunctions, .loadedCells: "k"
        case .loadedFunctions, .liveProxies, .moduleFunctions, .closureFactories: "v"
        }
    }

    /// Pushes the table and returns true when the state has it; pushes nothing and returns false
    /// otherwise. Uses one stack slot.
    static func pushIfPresent(_ table: LuaRegistryTable, onto L: OpaquePointer) -> Bool {
        let lua = LuaStack(L)
        if lua.rawGet(DESYNC_LUA_REGISTRYINDEX, pointer: table.registryKey) == LUA_TTABLE { return true }
        lua.pop(1)
        return false
    }

    /// Pushes the table, creating it when missing. Uses three stack slots at most.
    static func push(_ table: LuaRegistryTable, onto L: OpaquePointer) {
        let lua = LuaStack(L)
        if lua.rawGet(DESYNC_LUA_REGISTRYINDEX, pointer: table.registryKey) == LUA_TTABLE { return }
        lua.pop(1)
        lua.newTable(array: 0, fields: 0)
        lua.newTable(array: 0, fields: 1)
        lua.push("__mode")
        table.weakMode.withUTF8Buffer { bytes in
            lua.push(bytes: bytes.baseAddress, count: bytes.count)
        }
        lua.rawSetValidKey(-3)  // the key: "__mode"
        lua.setMetatable(-2)
        lua.pushValue(at: -1)
        lua.rawSet(DESYNC_LUA_REGISTRYINDEX, pointer: table.registryKey)
    }
}
