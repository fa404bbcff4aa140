import CLua

/// `f:done`, `f:wait`, ... : the methods of `desync.future`.
enum FutureMethods {
    static let all: [(String, desync_swift_function)] = [
        ("done", { L in LuaCall.run(L, "done", method: true, done) }),
        ("wait", { L in LuaCall.run(L, "wait", method: true, wait) }),
        ("result", { L in LuaCall.run(L, "result", method: true, result) }),
        ("status", { L in LuaCall.run(L, "status", method: true, status) }),
        ("cancel", { L in LuaCall.run(L, "cancel", method: true, cancel) }),
    ]

    static let tostring: desync_swift_function = { L in
        LuaCall.run(L, "tostring") { call in
            let future = try call.shared(1, as: LuaFuture.self)
            lua_pushstring(L, "desync.future: \(future.object.name) (\(future.status))")
            return 1
        }
    }

    static func done(_ call: LuaCall) throws -> Int32 {
        let future = try call.shared(1, as: LuaFuture.self)
        lua_pushboolean(call.L, future.isDone ? 1 : 0)
        return 1
    }

    static func status(_ call: LuaCall) throws -> Int32 {
        let future = try call.shared(1, as: LuaFuture.self)
        lua_pushstring(call.L, future.status)
        return 1
    }

    static func cancel(_ call: LuaCall) throws -> Int32 {
        let future = try call.shared(1, as: LuaFuture.self)
        lua_pushboolean(call.L, future.cancel() ? 1 : 0)
        return 1
    }

    /// The outcome, waiting at most the optional timeout in argument 2; nil on timeout.
    private static func outcome(_ call: LuaCall) throws -> Result<LuaCargo, any Error>? {
        let future = try call.shared(1, as: LuaFuture.self)
        let timeout = try call.optionalTimeout(2)
        let outcome = try future.wait(timeout: timeout, isHost: try call.context.isHost)
        if outcome != nil { future.markObserved() }
        return outcome
    }

    static func wait(_ call: LuaCall) throws -> Int32 {
        guard let outcome = try outcome(call) else {
            lua_settop(call.L, 0)
            lua_pushnil(call.L)
            lua_pushstring(call.L, "timeout")
            return 2
        }
        switch outcome {
        case .success(let results): return try call.returnValues(results)
        case .failure(let error):
            lua_settop(call.L, 0)
            call.pushError(error)
            return -1
        }
    }

    static func result(_ call: LuaCall) throws -> Int32 {
        guard let outcome = try outcome(call) else {
            lua_settop(call.L, 0)
            lua_pushboolean(call.L, 0)
            lua_pushstring(call.L, "timeout")
            return 2
        }
        switch outcome {
        case .success(let results):
            let count = try call.returnValues(results)
            lua_pushboolean(call.L, 1)
            desync_insert(call.L, 1)
            return count + 1
        case .failure(let error):
            lua_settop(call.L, 0)
            lua_pushboolean(call.L, 0)
            call.pushError(error)
            return 2
        }
    }
}
