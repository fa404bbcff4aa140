import CLua

/// Runs one job inside an object's Lua state: `fn(data, args...)` under `lua_pcall`, with the
/// results (or the error) captured to cross back.
enum JobRunner {
    /// Calls the function that heads `call` with the object's data (registry reference
    /// `dataRef`) inserted as its first argument, followed by the rest of `call` and `extra`.
    static func run(
        in L: OpaquePointer, dataRef: Int32, call: LuaCargo, extra: LuaCargo? = nil
    ) -> Result<LuaCargo, LuaJobError> {
        let lua = LuaStack(L)
        let base = lua.top
        defer {
            lua.setTop(base)
            checkCollector(L)
        }
        let needed = Int32(call.count + (extra?.count ?? 0) + 8)
        guard lua.reserve(needed) else {
            return .failure(failure(in: L, "too many arguments for a desync job"))
        }
        lua.pushTracebackHandler()
        let handler = lua.top
        let pushed = call.push(onto: L)
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(dataRef))
        // The data goes right after the function.
        lua.rotate(handler + 2, by: 1)
        let extraCount = extra?.push(onto: L) ?? 0
        let status = lua.protectedCall(arguments: pushed + extraCount, results: DESYNC_LUA_MULTRET, handler: handler)
        guard status == LUA_OK else {
            NilGlobalHint.apply(in: L)
            let text = describeError(at: -1, in: L)
            let value = LuaCargo.capture(from: L, first: -1, count: 1, describe: { _ in "error" })
            switch value {
            case .success(let cargo): return .failure(LuaJobError(value: cargo, text: text))
            case .failure(let problem): return .failure(failure(in: L, "\(text) (\(problem.message))"))
            }
        }
        let resultCount = lua.top - handler
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
    /// `LuaStack.collectorStep` (`lua_concat(L, 0)`) pushes the empty string (interned, so
    /// nothing new) and then checks the debt (`luaC_checkGC`): the cheapest API call that does,
    /// with nothing to allocate. A step never raises: finalizers it runs are called in protected
    /// mode, their errors are warnings, and no allocation can fail here (outside `desync_pcall`).
    @inline(__always)
    static func checkCollector(_ L: OpaquePointer) {
        LuaStack(L).collectorStep()
    }

    /// An error made on the Swift side (as a string), for when the job's own outcome cannot cross.
    static func failure(in L: OpaquePointer, _ message: String) -> LuaJobError {
        // Up to a zero byte, as lua_pushstring read it.
        LuaStack(L).push(cString: message)
        defer { LuaStack(L).pop(1) }
        let cargo = (try? LuaCargo.capture(from: L, first: -1, count: 1).get()) ?? LuaCargo()
        return LuaJobError(value: cargo, text: message)
    }
}

/// Jobs as coroutines: `ObjectState.start` and its resumed slices.
extension JobRunner {
    /// How one slice of a job ended.
    enum Slice {
        /// The job is over. `reusable`: its coroutine returned normally and can run another job.
        case finished(Result<LuaCargo, LuaJobError>, reusable: Bool)
        /// A call in the job suspended it.
        case suspended(LuaSuspension)
    }

    /// Pushes `fn, data, args..., extra...` onto a job's fresh coroutine; returns the number of
    /// arguments.
    static func push(_ call: LuaCargo, extra: LuaCargo?, dataRef: Int32?, onto coroutine: OpaquePointer) -> Result<Int32, LuaJobError> {
        let lua = LuaStack(coroutine)
        let needed = Int32(call.count + (extra?.count ?? 0) + 8)
        guard lua.reserve(needed) else {
            return .failure(failure(in: coroutine, "too many arguments for a desync job"))
        }
        var pushed = call.push(onto: coroutine)
        if let dataRef {
            lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(dataRef))
            // The data goes right after the function.
            lua.rotate(2, by: 1)
            pushed += 1
        }
        let extraCount = extra?.push(onto: coroutine) ?? 0
        // The function is not an argument.
        return .success(pushed - 1 + extraCount)
    }

    /// Resumes the job's coroutine with the `arguments` on top of its stack (its function and
    /// arguments at the start; nothing when it resumes from a suspension).
    static func resume(_ running: RunningLuaJob, coroutine: OpaquePointer, from L: OpaquePointer, arguments: Int32) -> Slice {
        let lua = LuaStack(coroutine)
        let (status, resultCount) = lua.resume(from: L, arguments: arguments)
        switch status {
        case LUA_OK:
            let first = lua.top - resultCount + 1
            switch LuaCargo.capture(from: coroutine, first: first, count: resultCount, describe: { "result \($0)" }) {
            case .success(let results): return .finished(.success(results), reusable: true)
            case .failure(let problem): return .finished(.failure(failure(in: coroutine, problem.message)), reusable: true)
            }
        case LUA_YIELD:
            if let suspension = running.suspension.take() { return .suspended(suspension) }
            // Yielded by something else than desync's waits: a bare coroutine.yield at the
            // job's top level. Nothing would resume it; it is an error, and the coroutine is
            // closed (its `<close>` variables run).
            lua.setTop(0)
            _ = lua.resetThread(from: L)
            let message = "attempt to yield from a desync job (coroutine.yield at the job's top level: only desync's waits suspend a job; yield inside a coroutine of your own)"
            return .finished(.failure(failure(in: L, message)), reusable: false)
        default:
            return .finished(.failure(error(of: coroutine, from: L, status: status)), reusable: false)
        }
    }

    /// The error a job's coroutine failed with, with its traceback when it is a string (as `lua`
    /// shows it: not for "not enough memory", where Lua calls no message handler); the
    /// coroutine's `<close>` variables are closed after the traceback is taken.
    private static func error(of coroutine: OpaquePointer, from L: OpaquePointer, status: Int32) -> LuaJobError {
        let lua = LuaStack(L)
        let job = LuaStack(coroutine)
        let base = lua.top
        defer { lua.setTop(base) }
        guard lua.reserve(4) else { return failure(in: coroutine, "a desync job failed (no stack left to report it)") }
        if status == LUA_ERRMEM {
            job.move(1, to: L)
        } else {
            lua.pushCoroutineTracebackHandler()
            job.pushThread()
            job.rotate(-2, by: 1)
            job.move(2, to: L)
            // Plain `lua_pcall`, where no allocation fails: `desync_pcall` would also collect the
            // garbage of a job that ran out of memory, while the coroutine still holds it
            // (`desync_resetthread` collects once it is cleared).
            _ = lua.plainProtectedCall(arguments: 2, results: 1)
            NilGlobalHint.apply(in: L)
        }
        // Its status cannot tell a failing `__close` from none (see the shim): the job's own
        // error stands.
        _ = job.resetThread(from: L)
        let text = describeError(at: -1, in: L)
        switch LuaCargo.capture(from: L, first: -1, count: 1, describe: { _ in "error" }) {
        case .success(let cargo): return LuaJobError(value: cargo, text: text)
        case .failure(let problem): return failure(in: L, "\(text) (\(problem.message))")
        }
    }
}
