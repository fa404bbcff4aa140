import CLua

/// Makes Lua states the way desync needs them: standard libraries, the host's module search
/// paths, the `desync` module preloaded and global, `print` and `io.stdout` writing whole lines.
enum StatePreparation {
    /// A new state for an object, its memory counted in `memory` (whose limit applies from its
    /// first job), or nil if Lua cannot make one.
    static func newObjectState(runtime: RuntimeCore, object: LuaObject, memory: LuaMemoryAccount) -> OpaquePointer? {
        guard let L = desync_newstate_with_memory(memory.record) else { return nil }
        let context = LuaStateContext.attach(to: L, runtime: runtime, object: object, isHost: false)
        let paths = object.packagePaths ?? runtime.packagePaths
        setPackageField(L, "path", paths.path)
        setPackageField(L, "cpath", paths.cpath)
        DesyncModule.install(in: L)
        context.standardOutput = StateStandardOutput.install(in: L)
        SimulatedRandomness.seed(L, runtime: runtime)
        memory.applyLimit()
        return L
    }

    /// The host's state, its memory counted in `memory`, or nil if Lua cannot make one. States
    /// are made only in this file: the allocator's reserve exists once per file that takes the
    /// allocator's address (memory.h).
    static func newHostState(memory: LuaMemoryAccount) -> OpaquePointer? {
        desync_newstate_with_memory(memory.record)
    }

    /// Closes a state made here and releases its context (after `lua_close`, whose finalizers
    /// may still look it up).
    static func close(_ L: OpaquePointer) {
        let context = desync_extraspace(L).pointee
        // Finalizers run by lua_close may call desync.self() after the object is gone.
        LuaStateContext.of(L)?.object = nil
        // Finalizers may write too: the stream closes after them.
        let standardOutput = LuaStateContext.of(L)?.standardOutput
        lua_close(L)
        standardOutput?.close()
        if let context { Unmanaged<LuaStateContext>.fromOpaque(context).release() }
    }

    /// `package.path` and `package.cpath` of `L`, read raw.
    static func packagePaths(of L: OpaquePointer) -> (path: String, cpath: String) {
        (packageField(L, "path") ?? "", packageField(L, "cpath") ?? "")
    }

    private static func pushPackageTable(_ L: OpaquePointer) -> Bool {
        lua_pushstring(L, LUA_LOADED_TABLE)
        lua_rawget(L, DESYNC_LUA_REGISTRYINDEX)
        guard lua_type(L, -1) == LUA_TTABLE else { desync_pop(L, 1); return false }
        lua_pushstring(L, "package")
        lua_rawget(L, -2)
        desync_remove(L, -2)
        guard lua_type(L, -1) == LUA_TTABLE else { desync_pop(L, 1); return false }
        return true
    }

    private static func setPackageField(_ L: OpaquePointer, _ name: String, _ value: String) {
        guard !value.isEmpty, pushPackageTable(L) else { return }
        lua_pushstring(L, name)
        lua_pushstring(L, value)
        lua_rawset(L, -3)
        desync_pop(L, 1)
    }

    private static func packageField(_ L: OpaquePointer, _ name: String) -> String? {
        guard pushPackageTable(L) else { return nil }
        defer { lua_settop(L, lua_gettop(L) - 2) }
        lua_pushstring(L, name)
        lua_rawget(L, -2)
        guard lua_type(L, -1) == LUA_TSTRING, let text = lua_tolstring(L, -1, nil) else { return nil }
        return String(cString: text)
    }
}
