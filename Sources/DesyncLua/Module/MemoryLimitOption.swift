import CLua

/// `memory_limit` of `desync.new`'s options: absent, `false` or a number of bytes.
enum MemoryLimitOption {
    /// Absent: the scheduler's default (`desync.scheduler.set_memory_limit`).
    case unset
    /// `false`: no limit, whatever the default.
    case unlimited
    case bytes(Int)

    /// The limit in bytes for a new object of `runtime`, nil for none.
    func bytes(default runtime: RuntimeCore) -> Int? {
        switch self {
        case .unset: return runtime.defaultMemoryLimit
        case .unlimited: return nil
        case .bytes(let bytes): return bytes
        }
    }

    /// Reads the field `memory_limit` of the options table at `options`: a positive integer (a
    /// float with an integer value too, as `10e6`), or `false`.
    static func read(_ call: LuaCall, options: Int32) throws -> MemoryLimitOption {
        let L = call.L
        let lua = LuaStack(L)
        lua.push("memory_limit")
        lua.rawGet(options)
        defer { lua.pop(1) }
        switch lua.type(at: -1) {
        case LUA_TNIL:
            return .unset
        case LUA_TBOOLEAN where !lua.boolean(at: -1):
            return .unlimited
        case LUA_TNUMBER:
            if let bytes = lua.integer(at: -1), bytes > 0 { return .bytes(Int(bytes)) }
        default:
            break
        }
        throw call.argumentError(options, "field 'memory_limit' must be a positive integer or false")
    }
}

/// `desync.scheduler.memory_limit` and `set_memory_limit`.
extension SchedulerFunctions {
    /// The default memory limit of new objects in bytes, or nil for none.
    static func memoryLimit(_ call: LuaCall) throws -> Int32 {
        if let limit = try call.context.runtime.defaultMemoryLimit {
            call.lua.push(integer: lua_Integer(limit))
        } else {
            call.lua.pushNil()
        }
        return 1
    }

    /// Sets the memory limit of objects made from now on without a `memory_limit` of their own:
    /// a positive number of bytes, or nil or false for none.
    static func setMemoryLimit(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        let lua = LuaStack(L)
        var limit: Int?
        if lua.type(at: 1) > LUA_TNIL, !(lua.type(at: 1) == LUA_TBOOLEAN && !lua.boolean(at: 1)) {
            let bytes = try call.integer(1)
            guard bytes > 0 else { throw call.argumentError(1, "memory limit must be a positive number of bytes") }
            limit = bytes
        }
        try call.context.runtime.defaultMemoryLimit = limit
        return 0
    }
}
