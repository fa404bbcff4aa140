import CLua

/// Makes Lua states the way desync needs them: standard libraries, the host's module search
/// paths, the `desync` module preloaded and global, `print` and `io.stdout` writing whole lines.
enum StatePreparation {
    /// A new state for an object, its memory counted in `memory` (whose limit applies from its
    /// first job), or nil if Lua cannot make one. It opens most libraries, and the `desync`
    /// module, on first use (`LazyLibraries`).
    static func newObjectState(runtime: RuntimeCore, object: LuaObject, memory: LuaMemoryAccount) -> OpaquePointer? {
        guard let L = LuaStack.newState(memory: memory.record, allLibraries: false)?.state else { return nil }
        let context = LuaStateContext.attach(to: L, runtime: runtime, object: object, isHost: false)
        context.packagePaths = object.packagePaths ?? runtime.packagePaths
        LinePrinting.install(in: L)
        guard LazyLibraries.install(in: L) else {
            close(L)
            return nil
        }
        memory.applyLimit()
        return L
    }

    /// The host's state, its memory counted in `memory`, or nil if Lua cannot make one. States
    /// are made only by `LuaStack.newState`: the allocator's reserve exists once per file that
    /// takes the allocator's address (memory.h).
    static func newHostState(memory: LuaMemoryAccount) -> OpaquePointer? {
        LuaStack.newState(memory: memory.record)?.state
    }

    /// Closes a state made here and releases its context (after `lua_close`, whose finalizers
    /// may still look it up).
    static func close(_ L: OpaquePointer) {
        let context = LuaStack(L).extraSpace.pointee
        // Finalizers run by lua_close may call desync.self() after the object is gone.
        LuaStateContext.of(L)?.object = nil
        let held = desync_memory_of(L).map { Int(desync_memory_used($0)) } ?? 0
        LuaStack(L).close()
        // Finalizers may write too: the stream closes after them, read only now, since a
        // finalizer may be what opened `io` and made it.
        if let context {
            let context = Unmanaged<LuaStateContext>.fromOpaque(context)
            context._withUnsafeGuaranteedRef { $0.standardOutput?.close() }
            context.release()
        }
        FreedMemoryReturn.stateClosed(holding: held)
    }

    /// `package.path` and `package.cpath` of `L`, read raw; those it will have when its `package`
    /// library is not open yet.
    static func packagePaths(of L: OpaquePointer) -> (path: String, cpath: String) {
        if let paths = LuaStateContext.of(L)?.packagePaths, LuaStack(L).reserve(3) {
            guard pushPackageTable(L) else { return paths }
            LuaStack(L).pop(1)
        }
        return (packageField(L, "path") ?? "", packageField(L, "cpath") ?? "")
    }

    /// Sets `package.path` and `package.cpath` of `L` (raw), where not empty.
    static func setPackagePaths(_ paths: (path: String, cpath: String), in L: OpaquePointer) {
        setPackageField(L, "path", paths.path)
        setPackageField(L, "cpath", paths.cpath)
    }

    private static func pushPackageTable(_ L: OpaquePointer) -> Bool {
        let lua = LuaStack(L)
        lua.push(cString: LUA_LOADED_TABLE)
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX)
        guard lua.type(at: -1) == LUA_TTABLE else { lua.pop(1); return false }
        lua.push("package")
        lua.rawGet(-2)
        lua.remove(at: -2)
        guard lua.type(at: -1) == LUA_TTABLE else { lua.pop(1); return false }
        return true
    }

    private static func setPackageField(_ L: OpaquePointer, _ name: String, _ value: String) {
        let lua = LuaStack(L)
        guard !value.isEmpty, pushPackageTable(L) else { return }
        lua.push(cString: name)
        lua.push(cString: value)
        lua.rawSet(-3)
        lua.pop(1)
    }

    private static func packageField(_ L: OpaquePointer, _ name: String) -> String? {
        let lua = LuaStack(L)
        guard pushPackageTable(L) else { return nil }
        defer { lua.setTop(lua.top - 2) }
        lua.push(cString: name)
        lua.rawGet(-2)
        // Read as a C string, up to a zero byte, as Lua's `package` library reads it.
        guard let bytes = lua.stringBytes(at: -1) else { return nil }
        return String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}
