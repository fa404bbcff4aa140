import CLua
import Desync

#if canImport(Glibc)
import Glibc
#endif

/// Builds the `desync` module in a state: the module table (global `desync` and
/// `package.loaded.desync`), the metatables of shared objects, and a line-atomic `print`.
enum DesyncModule {
    static func install(in L: OpaquePointer) {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        if lua_checkstack(L, 10) == 0 { desyncFatal("desync: no Lua stack to install the module") }
        installMetatable(LuaObject.luaTypeName, methods: ObjectMethods.all, tostring: ObjectMethods.tostring, in: L)
        installMetatable(LuaFuture.luaTypeName, methods: FutureMethods.all, tostring: FutureMethods.tostring, in: L)
        installMetatable(LuaStream.luaTypeName, methods: StreamMethods.all, tostring: StreamMethods.tostring, in: L)

        lua_createtable(L, 0, 12)
        LuaFunctions.register(ModuleFunctions.all, into: L)
        LuaFunctions.register(WorkflowFunctions.all, into: L)
        LuaFunctions.register([("show", LuaValueText.function)], into: L)
        lua_pushstring(L, "scheduler")
        lua_createtable(L, 0, 3)
        LuaFunctions.register(SchedulerFunctions.all, into: L)
        lua_rawset(L, -3)
        lua_pushstring(L, "trace")
        TraceFunctions.pushTable(onto: L)
        lua_rawset(L, -3)
        lua_pushstring(L, "stream")
        StreamConstructor.pushTable(onto: L)
        lua_rawset(L, -3)

        // package.loaded.desync = module
        lua_pushstring(L, LUA_LOADED_TABLE)
        lua_rawget(L, DESYNC_LUA_REGISTRYINDEX)
        lua_pushstring(L, "desync")
        lua_pushvalue(L, -3)
        lua_rawset(L, -3)
        desync_pop(L, 1)
        // _G.desync = module
        desync_pushglobaltable(L)
        lua_pushstring(L, "desync")
        lua_pushvalue(L, -3)
        lua_rawset(L, -3)
        desync_pop(L, 2)

        LinePrinting.install(in: L)
    }

    private static func installMetatable(
        _ name: String, methods: [(String, desync_swift_function)], tostring: desync_swift_function,
        in L: OpaquePointer
    ) {
        LuaProxy.metatable(forTypeName: name, onto: L)
        lua_pushstring(L, "__index")
        lua_createtable(L, 0, Int32(methods.count))
        LuaFunctions.register(methods, into: L)
        lua_rawset(L, -3)
        lua_pushstring(L, "__tostring")
        LuaFunctions.push(tostring, onto: L)
        lua_rawset(L, -3)
        desync_pop(L, 1)
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
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard luaL_loadbufferx(L, source, source.utf8.count, "=desync.print", "t") == LUA_OK else { return }
        LuaFunctions.push(writeLine, onto: L)
        desync_pushglobaltable(L)
        for name in ["tostring", "select"] {
            lua_pushstring(L, name)
            lua_rawget(L, -2 - (name == "select" ? 1 : 0))
        }
        // Stack: chunk, write_line, _G, tostring, select: drop _G.
        desync_remove(L, -3)
        lua_pushstring(L, LUA_LOADED_TABLE)
        lua_rawget(L, DESYNC_LUA_REGISTRYINDEX)
        lua_pushstring(L, "table")
        lua_rawget(L, -2)
        lua_pushstring(L, "concat")
        lua_rawget(L, -2)
        desync_remove(L, -2)
        desync_remove(L, -2)
        guard desync_pcall(L, 4, 1, 0) == LUA_OK, lua_type(L, -1) == LUA_TFUNCTION else { return }
        desync_pushglobaltable(L)
        lua_pushstring(L, "print")
        lua_pushvalue(L, -3)
        lua_rawset(L, -3)
    }

    private static let writeLine: desync_swift_function = { L in
        let L = L!
        var length = 0
        guard lua_type(L, 1) == LUA_TSTRING, let bytes = lua_tolstring(L, 1, &length) else { return 0 }
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
