import CLua
import Desync

#if canImport(Glibc)
import Glibc
#endif

/// Builds the `desync` module in a state: the module table (global `desync` and
/// `package.loaded.desync`). The methods of objects, futures and streams are added to their
/// metatables when a state first gets one of them (`addMethods`), and `print` is
/// `LinePrinting`'s: both are there in a state whose module is not open yet (`LazyLibraries`).
enum DesyncModule {
    static func install(in L: OpaquePointer) {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        if !lua.reserve(10) { desyncFatal("desync: no Lua stack to install the module") }
        lua.newTable(array: 0, fields: 12)
        LuaFunctions.register(ModuleFunctions.all, into: L)
        LuaFunctions.register(WorkflowFunctions.all, into: L)
        LuaFunctions.register([("show", LuaValueText.function)], into: L)
        lua.push("scheduler")
        lua.newTable(array: 0, fields: 3)
        LuaFunctions.register(SchedulerFunctions.all, into: L)
        lua.rawSet(-3)
        lua.push("trace")
        TraceFunctions.pushTable(onto: L)
        lua.rawSet(-3)
        lua.push("stream")
        StreamConstructor.pushTable(onto: L)
        lua.rawSet(-3)

        // package.loaded.desync = module
        lua.push(cString: LUA_LOADED_TABLE)
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX)
        lua.push("desync")
        lua.pushValue(at: -3)
        lua.rawSet(-3)
        lua.pop(1)
        // _G.desync = module
        lua.pushGlobals()
        lua.push("desync")
        lua.pushValue(at: -3)
        lua.rawSet(-3)
        lua.pop(2)
    }

    /// Adds `__index` (the methods) and `__tostring` to the new metatable on top of the stack,
    /// when `name` is the type name of desync's objects, futures or streams.
    static func addMethods(forTypeName name: String, in L: OpaquePointer) {
        switch name {
        case LuaObject.luaTypeName: addMethods(ObjectMethods.all, tostring: ObjectMethods.tostring, in: L)
        case LuaFuture.luaTypeName: addMethods(FutureMethods.all, tostring: FutureMethods.tostring, in: L)
        case LuaStream.luaTypeName: addMethods(StreamMethods.all, tostring: StreamMethods.tostring, in: L)
        default: break
        }
    }

    private static func addMethods(
        _ methods: [(String, desync_swift_function)], tostring: desync_swift_function, in L: OpaquePointer
    ) {
        let lua = LuaStack(L)
        if !lua.reserve(8) { desyncFatal("desync: Lua stack overflow while making a metatable") }
        lua.push("__index")
        lua.newTable(array: 0, fields: Int32(methods.count))
        LuaFunctions.register(methods, into: L)
        lua.rawSet(-3)
        lua.push("__tostring")
        LuaFunctions.push(tostring, onto: L)
        lua.rawSet(-3)
    }
}

/// `print` that writes each call as one whole line, so lines from parallel jobs never interleave.
/// The formatting is C (`desync_print`: `luaL_tolstring`, which may run metamethods and raise, as
/// the base library's `print` does); only the write is Swift. `print` itself is a C function
/// without upvalues, so it crosses into jobs (`obj:async(print, x)`, `s:pipe(print)`).
enum LinePrinting {
    static func install(in L: OpaquePointer) {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        if !lua.reserve(6) { desyncFatal("desync: no Lua stack to install print") }
        lua.push(DESYNC_PRINT_WRITER_KEY)
        LuaFunctions.push(writeLine, onto: L)
        lua.rawSet(DESYNC_LUA_REGISTRYINDEX)
        lua.pushGlobals()
        lua.push("print")
        lua.pushCFunction(desync_print)
        lua.rawSet(-3)
    }

    private static let writeLine: desync_swift_function = { L in
        let L = L!
        guard let text = LuaStack(L).stringBytes(at: 1), let bytes = text.baseAddress?.assumingMemoryBound(to: CChar.self)
        else { return 0 }
        let length = text.count
        if let output = LuaStateContext.of(L)?.standardOutput {
            output.writeLine(bytes, count: length)
            return 0
        }
        flockfile(desync_stdout())
        fwrite(bytes, 1, length, desync_stdout())
        fputc(10, desync_stdout())
        funlockfile(desync_stdout())
        fflush(desync_stdout())
        return 0
    }
}
