import CLua
import Desync

extension LuaCall {
    /// Makes the results of a call that waits for `future`: `deliver` gets its outcome, or nil
    /// when `timeout` seconds (nil: no limit) passed first. At once when the future is done;
    /// otherwise the calling job suspends if it may (see `suspendableJob`), and any other caller
    /// blocks, interruptibly on the host. `object`: whose job the future is, for the wait-for
    /// graph; `describe` names the wait in the error raised when nothing can ever complete it
    /// (made only for a blocking wait: the text cost more than the rest of a suspension).
    func await(
        _ future: DesyncFuture<LuaCargo>, of object: LuaObject?, timeout: Double?, describe: @autoclosure () -> String,
        deliver: @escaping (LuaCall, Result<LuaCargo, any Error>?) throws -> Int32
    ) throws -> Int32 {
        if let outcome = future.outcome { return try deliver(self, outcome) }
        if let timeout, timeout <= 0 { return try deliver(self, nil) }
        let context = try self.context
        let deadline = LuaWait.deadline(after: timeout, on: context.runtime)
        if let job = suspendableJob {
            var gate: any Waitable = future
            if let deadline {
                gate = FirstOf([future, DesyncTimer(deadline: deadline, queue: context.runtime.scheduler.timers)])
            }
            return try suspend(job, until: gate, waitsFor: object) { call in
                try deliver(call, future.outcome)
            }
        }
        let reached = try Self.blockingWait(from: L, on: object, reached: future) {
            try LuaWait(runtime: context.runtime, isHost: context.isHost).wait(
                for: future, until: deadline, stuck: describe())
        }
        return try deliver(self, reached ? future.outcome : nil)
    }

    /// Values of a finished future, or raises its error in the caller.
    func returnFutureOutcome(_ outcome: Result<LuaCargo, any Error>) throws -> Int32 {
        switch outcome {
        case .success(let results): return try returnValues(results)
        case .failure(let error as LuaJobError): throw LuaRaisedValue(value: error.value)
        case .failure(let error):
            lua.setTop(0)
            pushError(error)
            return -1
        }
    }
}
