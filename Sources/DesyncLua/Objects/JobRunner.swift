import CLua

/// Runs one job inside an object's Lua state: `fn(data, args...)` under `lua_pcall`, with the
/// results (or the error) captured to cross back.
enum JobRunner {
    /// Calls the function that heads `call` with the object's data (registry reference
    /// `dataRef`) inserted as its first argument, followed by the rest of `call` and `extra`.
    static func run(
        in L: OpaquePointer, dataRef: Int32, call: LuaCargo, extra: LuaCargo? = nil
    ) -> Result<LuaCargo, LuaJobError> {
        let base = lua_gettop(L)
        defer {
            lua_settop(L, base)
            checkCollector(L)
        }
        let needed = Int32(call.count + (extra?.count ?? 0) + 8)
        guard lua_checkstack(L, needed) != 0 else {
            return .failure(failure(in: L, "too many arguments for a desync job"))
        }
        desync_pushtraceback(L)
        let handler = lua_gettop(L)
        let pushed = call.push(onto: L)
        lua_rawgeti(L, DESYNC_LUA_REGISTRYINDEX, lua_Integer(dataRef))
        // The data goes right after the function.
        lua_rotate(L, handler + 2, 1)
        let extraCount = extra?.push(onto: L) ?? 0
        let status = desync_pcall(L, pushed + extraCount, DESYNC_LUA_MULTRET, handler)
        guard status == LUA_OK else {
            let text = describeError(at: -1, in: L)
            let value = LuaCargo.capture(from: L, first: -1, count: 1, describe: { _ in "error" })
            switch value {
            case .success(let cargo): return .failure(LuaJobError(value: cargo, text: text))
            case .failure(let problem): return .failure(failure(in: L, "\(text) (\(problem.message))"))
            }
        }
        let resultCount = lua_gettop(L) - handler
        switch LuaCargo.capture(from: L, first: handler + 1, count: resultCount, describe: { "result \($0)" }) {
        case .success(let results):
            return .success(results)
        case .failure(let problem):
            return .failure(failure(in: L, problem.message))
        }
    }

    /// Lets the collector take its step if the state's debt calls for one, as Lua does after
    /// its own allocations. A job's garbage may come mostly from what Swift did for it (a
    /// function loaded with `lua_load`, tables filled with `lua_rawset`), and those calls never
    /// check the debt, so a state whose jobs allocate nothing in Lua code grew without bound (29
    /// MB per 100k jobs of a function literal) until the script called `collectgarbage`.
    ///
    /// `lua_concat(L, 0)` pushes the empty string (interned, so nothing new) and then checks the
    /// debt (`luaC_checkGC`): the cheapest API call that does, with nothing to allocate.
    /// A step never raises: finalizers it runs are called in protected mode, their errors are
    /// warnings, and no allocation can fail here (outside `desync_pcall`).
    @inline(__always)
    static func checkCollector(_ L: OpaquePointer) {
        lua_concat(L, 0)
        desync_pop(L, 1)
    }

    /// An error made on the Swift side (as a string), for when the job's own outcome cannot cross.
    static func failure(in L: OpaquePointer, _ message: String) -> LuaJobError {
        lua_pushstring(L, message)
        defer { desync_pop(L, 1) }
        let cargo = (try? LuaCargo.capture(from: L, first: -1, count: 1).get()) ?? LuaCargo()
        return LuaJobError(value: cargo, text: message)
    }
}
