import CLua
import Desync

/// `require "desync"` from a program that embeds Lua 5.4 (stock `lua5.4`, a game, a server):
/// what desync.so's `luaopen_desync` does. The calling state becomes a host state, as the
/// script's state is in `desync-lua`: one runtime per main thread (its coroutines share it), on
/// the process's one scheduler. When the program closes the state, a finalizer in its registry
/// waits for the work queued on its objects, as `desync-lua` does at the end of a batch run.
///
/// desync keeps its context in the extra space of each state (`lua_getextraspace`): the program
/// must leave that space of its states to desync. Coroutines copy it from the main thread when
/// they are made, so a coroutine made before the first `require "desync"` of its state cannot
/// call desync (unless `require` runs in it).
public enum LuaModuleHost {
    /// The registry key of the finalizer's userdata, which holds the state's runtime.
    private static let registryKey = "desync.host"

    /// Opens the module in `L`. Returns 1 with the module table pushed, or -1 with an error
    /// message on top of the stack, which the C caller raises. Raises nothing itself.
    public static func open(_ L: OpaquePointer) -> Int32 {
        guard lua_checkstack(L, 8) != 0 else {
            lua_pushstring(L, "desync: no Lua stack to open the module")
            return -1
        }
        lua_rawgeti(L, DESYNC_LUA_REGISTRYINDEX, lua_Integer(DESYNC_LUA_RIDX_MAINTHREAD))
        let main = lua_tothread(L, -1)
        desync_pop(L, 1)
        guard let main else {
            lua_pushstring(L, "desync: the state has no main thread")
            return -1
        }
        if !hasRuntime(L) { adopt(main, from: L) }
        // A coroutine made before the first require has no context: it gets its main thread's.
        if L != main { desync_extraspace(L).pointee = desync_extraspace(main).pointee }
        DesyncModule.install(in: L)
        lua_pushstring(L, LUA_LOADED_TABLE)
        lua_rawget(L, DESYNC_LUA_REGISTRYINDEX)
        lua_pushstring(L, "desync")
        lua_rawget(L, -2)
        desync_remove(L, -2)
        return 1
    }

    private static func hasRuntime(_ L: OpaquePointer) -> Bool {
        lua_pushstring(L, registryKey)
        lua_rawget(L, DESYNC_LUA_REGISTRYINDEX)
        defer { desync_pop(L, 1) }
        return lua_type(L, -1) == LUA_TUSERDATA
    }

    /// Makes `main` a host state, and the finalizer that ends its runtime.
    private static func adopt(_ main: OpaquePointer, from L: OpaquePointer) {
        let runtime = LuaRuntime(adopting: main)
        let slot = desync_newuserdata(L, MemoryLayout<UnsafeMutableRawPointer?>.size)!
            .bindMemory(to: UnsafeMutableRawPointer?.self, capacity: 1)
        slot.pointee = Unmanaged.passRetained(runtime).toOpaque()
        lua_createtable(L, 0, 1)
        lua_pushstring(L, "__gc")
        LuaFunctions.push(finish, onto: L)
        lua_rawset(L, -3)
        lua_setmetatable(L, -2)
        lua_pushstring(L, registryKey)
        desync_insert(L, -2)
        lua_rawset(L, DESYNC_LUA_REGISTRYINDEX)
    }

    /// The finalizer, run by `lua_close` (the state still works then): the end of a
    /// `desync-lua` batch run. Lua calls finalizers newest first, so every proxy made after
    /// `require` is released before this runs; finalizers that run later find no desync.
    private static let finish: desync_swift_function = { L in
        guard let L, let raw = lua_touserdata(L, 1) else { return 0 }
        let slot = raw.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: 1)
        guard let pointer = slot.pointee else { return 0 }
        slot.pointee = nil
        let runtime = Unmanaged<LuaRuntime>.fromOpaque(pointer).takeRetainedValue()
        runtime.waitUntilIdle()
        runtime.closeHostState()
        runtime.waitUntilIdle()
        return 0
    }
}
