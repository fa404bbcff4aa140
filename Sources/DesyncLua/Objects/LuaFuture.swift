import Desync

/// The Lua face of a `DesyncFuture`: results come back as a cargo of Lua values.
public final class LuaFuture: LuaSharedObject {
    public static let luaTypeName = "desync.future"

    let future: DesyncFuture<LuaCargo>
    /// The object whose queue runs the job.
    let object: LuaObject
    /// For `obj:pipe_in`'s future: the pipe it stands for. Such a future is not a job of its own:
    /// it is not counted as outstanding, cannot be cancelled (close the input to stop the pipe),
    /// and a wait with 0 pool threads runs the pipe.
    let pipe: LuaPipe?

    init(_ future: DesyncFuture<LuaCargo>, object: LuaObject) {
        self.future = future
        self.object = object
        pipe = nil
    }

    /// The future of `pipe_in`.
    init(pipe: LuaPipe) {
        future = pipe.completion!.future
        object = pipe.object
        self.pipe = pipe
    }

    /// Cancels the job if it has not started.
    func cancel() -> Bool {
        pipe == nil && future.cancel()
    }

    /// True once finished (a `pipe_in` future: once the pipe has finished).
    var isDone: Bool {
        if let completion = pipe?.completion { return completion.outcome != nil }
        return future.isDone
    }

    /// The status name `f:status()` shows; a `pipe_in` future is "running" until its pipe ends.
    var status: String {
        guard let completion = pipe?.completion else { return future.status.rawValue }
        switch completion.outcome {
        case nil: return "running"
        case .success?: return "done"
        case .failure?: return "failed"
        }
    }

    /// Waits for the outcome; nil when `timeout` (seconds) passes first. With `interruptible`,
    /// Ctrl-C stops the wait with "interrupted!".
    func wait(timeout: Double?, interruptible: Bool) throws(LuaError) -> Result<LuaCargo, any Error>? {
        if let outcome { return outcome }
        if object.isRunningHere {
            throw LuaError(message: "cannot wait for a future of desync.object: \(object.name) from inside one of its own jobs (it would wait for itself forever)")
        }
        let deadline = SlicedWait.deadline(after: timeout)
        guard interruptible || pipe != nil else {
            if let deadline {
                guard future.isDone || waitUntil(deadline) else { return nil }
                return future.outcome
            }
            return future.result
        }
        while true {
            if let pipe, pipe.object.runtime.scheduler.maxThreads == 0, pipe.drive(budget: StreamDriving.depth),
               let outcome {
                return outcome
            }
            guard let slice = SlicedWait.nextSlice(before: deadline) else { return outcome }
            let finished = waitUntil(ContinuousClock.now + slice)
            if interruptible { try object.runtime.throwIfInterrupted() }
            if finished, let outcome { return outcome }
        }
    }

    /// The outcome if finished.
    private var outcome: Result<LuaCargo, any Error>? {
        if let completion = pipe?.completion { return completion.outcome }
        return future.outcome
    }

    private func waitUntil(_ deadline: ContinuousClock.Instant) -> Bool {
        let remaining = max(ContinuousClock.now.duration(to: deadline), .zero)
        if let completion = pipe?.completion { return completion.wait(timeout: remaining) }
        return (try? future.wait(timeout: remaining)) != nil || future.isDone
    }
}
