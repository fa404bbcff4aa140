import CLua

/// An object's state opens the base and string libraries when it is made, and every other
/// standard library, and the `desync` module, the first time a job uses it (lazylibs.h).
///
/// Why: with everything open, a state held about 35 KB before its first job (20 KB of standard
/// libraries, 14 KB of desync's module), and most jobs use none of it; 100,000 objects took
/// 4 GB. The globals table gets a metatable whose `__index` opens a library when its name (or
/// `require`) is read and whose `__pairs` opens them all, so `string.format`, `math.pi`,
/// `require "table"` and `pairs(_G)` see what they always saw. What differs from a state with
/// everything open: before first use, `rawget(_G, "math")` and `next(_G, ...)` do not see a
/// library, and `getmetatable(_G)` is that metatable (`setmetatable(_G, mt)` opens everything
/// first, so replacing it loses nothing). The host's state opens everything at once, as `lua` does.
enum LazyLibraries {
    /// Makes `L`'s libraries lazy. Only raw pushes and a protected call: never raises.
    static func install(in L: OpaquePointer) -> Bool {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        guard lua.reserve(4) else { return false }
        lua.pushCFunction(desync_lazy_install)
        LuaFunctions.push(libraryOpened, onto: L)
        return lua.protectedCall(arguments: 1, results: 0) == LUA_OK
    }

    /// Opens the `desync` module in `L` if it is a lazy state where it is not open yet; true
    /// when it opened it. Protected: a failure leaves it closed.
    static func openModule(in L: OpaquePointer) -> Bool {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        guard lua.reserve(4), lua.pushLoaded("desync") == LUA_TNIL else { return false }
        return pushLibrary(named: Array("desync".utf8), in: L)
    }

    /// Pushes the library `name` (as `[UInt8]`: a module name that crossed) and returns true when
    /// it is one `L` opens lazily (opening it if it is not open yet); else pushes nothing.
    static func pushLibrary(named name: [UInt8], in L: OpaquePointer) -> Bool {
        let lua = LuaStack(L)
        let top = lua.top
        guard lua.reserve(3) else { return false }
        lua.pushCFunction(desync_lazy_preload)
        LuaBytes.push(name, onto: L)
        guard lua.protectedCallOutsideLimit(arguments: 1, results: 1) == LUA_OK, lua.type(at: -1) == LUA_TTABLE else {
            lua.setTop(top)
            return false
        }
        return true
    }

    /// A C function from another state is about to be pushed into `L`: if `L` opens libraries
    /// lazily, all open first, as when every state had them from the start (the `io` functions
    /// read the default files from the registry: `io.write` sent into a state without `io`
    /// crashed the process). Protected: a failure leaves them as they were.
    static func openAll(in L: OpaquePointer) {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        guard lua.reserve(3) else { return }
        // Once everything is open, the metatable that opens libraries is off the globals: a C
        // function sent in each job (`obj:async(print, x)`) then costs a look, not a call.
        lua.pushGlobals()
        let lazy = desync_lazy_is_lazy_globals(L, -1) != 0
        lua.pop(1)
        guard lazy else { return }
        lua.pushCFunction(desync_lazy_open_all_protected)
        _ = lua.protectedCallOutsideLimit(arguments: 0, results: 0)
    }

    /// `hook(name, library)`, called from C after a library opened: what desync adds to it.
    private static let libraryOpened: desync_swift_function = { L in
        let L = L!
        let lua = LuaStack(L)
        guard let context = LuaStateContext.of(L), let name = lua.string(at: 1) else { return 0 }
        switch name {
        case "package":
            if let paths = context.packagePaths {
                StatePreparation.setPackagePaths(paths, in: L)
            }
        case "io":
            context.standardOutput = StateStandardOutput.install(in: L)
        case "math":
            SimulatedRandomness.seed(L, runtime: context.runtime)
        case "desync":
            DesyncModule.install(in: L)
        default:
            break
        }
        return 0
    }
}
