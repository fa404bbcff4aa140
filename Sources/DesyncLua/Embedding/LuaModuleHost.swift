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
        let lua = LuaStack(L)
        guard lua.reserve(8) else {
            lua.push("desync: no Lua stack to open the module")
            return -1
        }
        lua.pushMainThread()
        let main = lua.thread(at: -1)
        lua.pop(1)
        guard let main else {
            lua.push("desync: the state has no main thread")
            return -1
        }
        if !hasRuntime(L) { adopt(main, from: L) }
        // A coroutine made before the first require has no context: it gets its main thread's.
        if L != main { lua.extraSpace.pointee = LuaStack(main).extraSpace.pointee }
        DesyncModule.install(in: L)
        LinePrinting.install(in: L)
        lua.push(cString: LUA_LOADED_TABLE)
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX)
        lua.push("desync")
        lua.rawGet(-2)
        lua.remove(at: -2)
        return 1
    }

    private static func hasRuntime(_ L: OpaquePointer) -> Bool {
        let lua = LuaStack(L)
        lua.push(cString: registryKey)
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX)
        defer { lua.pop(1) }
        return lua.type(at: -1) == LUA_TUSERDATA
    }

    /// Makes `main` a host state, and the finalizer that ends its runtime.
    private static func adopt(_ main: OpaquePointer, from L: OpaquePointer) {
        let lua = LuaStack(L)
        let runtime = LuaRuntime(adopting: main)
        let slot = lua.newUserdata(size: MemoryLayout<UnsafeMutableRawPointer?>.size)
            .bindMemory(to: UnsafeMutableRawPointer?.self, capacity: 1)
        slot.pointee = Unmanaged.passRetained(runtime).toOpaque()
        lua.newTable(array: 0, fields: 1)
        lua.push("__gc")
        LuaFunctions.push(finish, onto: L)
        lua.rawSet(-3)
        lua.setMetatable(-2)
        lua.push(cString: registryKey)
        lua.insert(at: -2)
        lua.rawSet(DESYNC_LUA_REGISTRYINDEX)
    }

    /// The finalizer, run by `lua_close` (the state still works then): the end of a
    /// `desync-lua` batch run. Lua calls finalizers newest first, so every proxy made after
    /// `require` is released before this runs; finalizers that run later find no desync.
    private static let finish: desync_swift_function = { L in
        guard let L, let raw = LuaStack(L).userdata(at: 1) else { return 0 }
        let slot = raw.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: 1)
        guard let pointer = slot.pointee else { return 0 }
        slot.pointee = nil
        let runtime = Unmanaged<LuaRuntime>.fromOpaque(pointer).takeRetainedValue()
        // As desync-lua ends a batch run: work that finalizers queue while the state closes runs
        // too, unless the first wait was interrupted or found work that can never run (it has
        // said so; a second wait would say it again).
        let finished = runtime.waitUntilIdle()
        runtime.closeHostState()
        if finished { runtime.waitUntilIdle() }
        return 0
    }
}
