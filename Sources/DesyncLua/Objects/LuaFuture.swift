import Desync

/// The Lua face of a `DesyncFuture`: results come back as a cargo of Lua values.
public final class LuaFuture: LuaSharedObject {
    public static let luaTypeName = "desync.future"

    let future: DesyncFuture<LuaCargo>
    /// The object whose queue runs the job.
    let object: LuaObject

    init(_ future: DesyncFuture<LuaCargo>, object: LuaObject) {
        self.future = future
        self.object = object
    }

    /// Cancels the job if it has not started.
    func cancel() -> Bool {
        guard future.cancel() else { return false }
        object.runtime.jobEnded()
        return true
    }

    /// Waits for the outcome; nil when `timeout` (seconds) passes first. With `interruptible`,
    /// Ctrl-C stops the wait with "interrupted!".
    func wait(timeout: Double?, interruptible: Bool) throws(LuaError) -> Result<LuaCargo, any Error>? {
        if let outcome = future.outcome { return outcome }
        if object.isRunningHere {
            throw LuaError(message: "cannot wait for a future of desync.object: \(object.name) from inside one of its own jobs (it would wait for itself forever)")
        }
        let deadline = timeout.map { ContinuousClock.now + .nanoseconds(Int64(($0 * 1e9).rounded(.up))) }
        guard interruptible else {
            if let deadline {
                guard future.isDone || waitUntil(deadline) else { return nil }
                return future.outcome
            }
            return future.result
        }
        while true {
            var slice = ContinuousClock.now + .milliseconds(50)
            if let deadline, deadline < slice { slice = deadline }
            let finished = waitUntil(slice)
            if object.runtime.takeInterrupt() {
                throw LuaError(message: "interrupted!", withPosition: false)
            }
            if finished { return future.outcome }
            if let deadline, ContinuousClock.now >= deadline { return nil }
        }
    }

    private func waitUntil(_ deadline: ContinuousClock.Instant) -> Bool {
        let remaining = ContinuousClock.now.duration(to: deadline)
        return (try? future.wait(timeout: max(remaining, .zero))) != nil || future.isDone
    }
}
