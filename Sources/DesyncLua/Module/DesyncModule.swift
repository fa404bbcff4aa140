import CLua
import Desync

#if canImport(Glibc)
import Glibc
#endif

/// Builds the `desync` module in a state: the module table (global `desync` and
/// `package.loaded.desync`), the metatables of shared objects, and a line-atomic `print`.
enum DesyncModule {
    static func install(in L: OpaquePointer) {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        if !lua.reserve(10) { desyncFatal("desync: no Lua stack to install the module") }
        installMetatable(LuaObject.luaTypeName, methods: ObjectMethods.all, tostring: ObjectMethods.tostring, in: L)
        installMetatable(LuaFuture.luaTypeName, methods: FutureMethods.all, tostring: FutureMethods.tostring, in: L)
        installMetatable(LuaStream.luaTypeName, methods: StreamMethods.all, tostring: StreamMethods.tostring, in: L)

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

        LinePrinting.install(in: L)
    }

    private static func installMetatable(
        _ name: String, methods: [(String, desync_swift_function)], tostring: desync_swift_function,
        in L: OpaquePointer
    ) {
        let lua = LuaStack(L)
        LuaProxy.metatable(forTypeName: name, onto: L)
        lua.push("__index")
        lua.newTable(array: 0, fields: Int32(methods.count))
        LuaFunctions.register(methods, into: L)
        lua.rawSet(-3)
        lua.push("__tostring")
        LuaFunctions.push(tostring, onto: L)
        lua.rawSet(-3)
        lua.pop(1)
    }
}

/// `print` that writes each call as one whole line, so lines from parallel jobs never interleave.
/// The formatting stays in Lua (it calls `tostring`, which may run metamethods and raise); only
/// the write is Swift.
enum LinePrinting {
    private static let source = """
        local write_line, tostring, select, concat = ...
        return function(...)
          local n = select("#", ...)
          local parts = {}
          for i = 1, n do parts[i] = tostring((select(i, ...))) end
          write_line(concat(parts, "\\t"))
        end
        """

    static func install(in L: OpaquePointer) {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        guard lua.load(source, name: "=desync.print", mode: "t") == LUA_OK else { return }
        LuaFunctions.push(writeLine, onto: L)
        lua.pushGlobals()
        for name in ["tostring", "select"] {
            lua.push(cString: name)
            lua.rawGet(-2 - (name == "select" ? 1 : 0))
        }
        // Stack: chunk, write_line, _G, tostring, select: drop _G.
        lua.remove(at: -3)
        lua.push(cString: LUA_LOADED_TABLE)
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX)
        lua.push("table")
        lua.rawGet(-2)
        lua.push("concat")
        lua.rawGet(-2)
        lua.remove(at: -2)
        lua.remove(at: -2)
        guard lua.protectedCall(arguments: 4, results: 1) == LUA_OK, lua.type(at: -1) == LUA_TFUNCTION else { return }
        lua.pushGlobals()
        lua.push("print")
        lua.pushValue(at: -3)
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
