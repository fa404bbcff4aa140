import CLua

/// Pushing outcomes back into the calling state.
extension LuaCall {
    /// Replaces the stack with the values of `cargo`; returns how many.
    func returnValues(_ cargo: LuaCargo) throws -> Int32 {
        lua.setTop(0)
        guard lua.reserve(Int32(cargo.count) + 4) else {
            throw LuaError(message: "too many results to return")
        }
        return cargo.push(onto: L)
    }

    /// Values of a job, or raises its error in the caller.
    func returnOutcome(_ outcome: Result<LuaCargo, LuaJobError>) throws -> Int32 {
        switch outcome {
        case .success(let results): return try returnValues(results)
        case .failure(let error): throw LuaRaisedValue(value: error.value)
        }
    }

    /// Pushes the error of a failed future's outcome (the job's own error value when there is one).
    func pushError(_ error: any Error) {
        switch error {
        case let jobError as LuaJobError: jobError.value.push(onto: L)
        case is CancellationError: lua.push("cancelled")
        // Up to a zero byte, as lua_pushstring read it.
        default: lua.push(cString: "\(error)")
        }
    }

    var context: LuaStateContext {
        get throws {
            guard let context = LuaStateContext.of(L) else {
                throw LuaError(message: "desync is not set up in this Lua state")
            }
            return context
        }
    }
}
