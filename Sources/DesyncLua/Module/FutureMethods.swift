import CLua

/// `f:done`, `f:wait`, ... : the methods of `desync.future`.
enum FutureMethods {
    static let all: [(String, desync_swift_function)] = [
        ("done", { L in LuaCall.run(L, "done", method: true, done) }),
        ("wait", { L in LuaCall.run(L, "wait", method: true, wait) }),
        ("result", { L in LuaCall.run(L, "result", method: true, result) }),
        ("status", { L in LuaCall.run(L, "status", method: true, status) }),
        ("cancel", { L in LuaCall.run(L, "cancel", method: true, cancel) }),
    ] + FutureCallbacks.methods

    static let tostring: desync_swift_function = { L in
        LuaCall.run(L, "tostring") { call in
            let future = try call.shared(1, as: LuaFuture.self)
            call.lua.push(cString: "desync.future: \(future.label) (\(future.status))")
            return 1
        }
    }

    static func done(_ call: LuaCall) throws -> Int32 {
        let future = try call.shared(1, as: LuaFuture.self)
        call.lua.push(future.isDone)
        return 1
    }

    static func status(_ call: LuaCall) throws -> Int32 {
        let future = try call.shared(1, as: LuaFuture.self)
        call.lua.push(cString: future.status)
        return 1
    }

    static func cancel(_ call: LuaCall) throws -> Int32 {
        let future = try call.shared(1, as: LuaFuture.self)
        call.lua.push(future.cancel())
        return 1
    }

    /// Waits for the outcome, at most the optional timeout in argument 2, and hands it (nil on
    /// timeout) to `deliver`. Inside a job the job suspends meanwhile (see `LuaCall.await`).
    private static func awaitOutcome(
        _ call: LuaCall, deliver: @escaping (LuaCall, LuaFuture, Result<LuaCargo, any Error>?) throws -> Int32
    ) throws -> Int32 {
        let future = try call.shared(1, as: LuaFuture.self)
        let timeout = try call.optionalTimeout(2)
        if !future.isDone, let object = future.object, object.isRunningHere {
            throw LuaError(message: "cannot wait for a future of desync.object: \(object.name) from inside one of its own jobs (it would wait for itself forever)")
        }
        let describe = { future.object.map { "cannot wait for a future of desync.object: \($0.name)" } ?? "cannot wait for desync.\(future.label)" }
        return try call.await(future.future, of: future.object, timeout: timeout, describe: describe()) { call, outcome in
            if outcome != nil {
                future.markObserved()
                (try? call.context)?.existingFutureCallbacks?.seenDone(future)
            }
            return try deliver(call, future, outcome)
        }
    }

    static func wait(_ call: LuaCall) throws -> Int32 {
        try awaitOutcome(call) { call, future, outcome in
            switch outcome {
            case nil:
                call.lua.setTop(0)
                call.lua.pushNil()
                call.lua.push("timeout")
                return 2
            case .success(let results)?:
                return try call.returnResults(of: future, results)
            case .failure?:
                return try call.returnFutureOutcome(outcome!)
            }
        }
    }

    static func result(_ call: LuaCall) throws -> Int32 {
        try awaitOutcome(call) { call, future, outcome in
            guard let outcome else {
                call.lua.setTop(0)
                call.lua.push(false)
                call.lua.push("timeout")
                return 2
            }
            switch outcome {
            case .success(let results):
                let count = try call.returnResults(of: future, results)
                call.lua.push(true)
                call.lua.insert(at: 1)
                return count + 1
            case .failure(let error):
                call.lua.setTop(0)
                call.lua.push(false)
                call.pushError(error)
                return 2
            }
        }
    }
}
