import Desync
import Synchronization

/// The Lua face of a `DesyncFuture`: results come back as a cargo of Lua values.
final class LuaFuture: LuaSharedObject {
    static let luaTypeName = "desync.future"

    let future: DesyncFuture<LuaCargo>
    /// The object whose queue runs the job.
    let object: LuaObject
    /// Its failure was reported already (`obj:pipe_in`'s future: each item's error is), so a
    /// failure nobody observes is not reported again.
    private let failureReported: Bool
    /// Someone saw the outcome: `f:wait` or `f:result` returned it, or `obj:after(f, ...)` took
    /// it over. A failure nobody saw is reported when the future is collected (see `deinit`).
    private let observed = Atomic<Bool>(false)

    init(_ future: DesyncFuture<LuaCargo>, object: LuaObject, failureReported: Bool = false) {
        self.future = future
        self.object = object
        self.failureReported = failureReported
    }

    /// A failed future that nothing observed is reported like an `async` job's error nobody
    /// observes (stderr or `on_error`, and counted for a batch run's exit status) once the last
    /// proxy to it is gone: when the job has finished by then, at once; otherwise by a check
    /// queued on the same object, which runs after the job (jobs run in order), so the batch
    /// run's final wait includes it. `pipe_in`'s future is left out: each item's error was
    /// reported already.
    deinit {
        guard !failureReported, !observed.load(ordering: .acquiring) else { return }
        if let outcome = future.outcome {
            LuaFuture.reportIfFailed(outcome, of: object)
            return
        }
        let future = future, object = object
        object.desync.async { _ in
            if let outcome = future.outcome { LuaFuture.reportIfFailed(outcome, of: object) }
        }
    }

    private static func reportIfFailed(_ outcome: Result<LuaCargo, any Error>, of object: LuaObject) {
        guard case .failure(let error) = outcome, let error = error as? LuaJobError else { return }
        object.runtime.errors.report(error, on: object, source: "future")
    }

    /// The outcome was handed to someone: its failure is theirs to deal with.
    func markObserved() {
        observed.store(true, ordering: .releasing)
    }

    /// Cancels the job if it has not started.
    func cancel() -> Bool {
        future.cancel()
    }

    /// True once finished.
    var isDone: Bool { future.isDone }

    /// The status name `f:status()` shows.
    var status: String { future.status.rawValue }

    /// Waits for the outcome; nil when `timeout` (seconds) passes first. `isHost`: the caller is
    /// the host state (see `LuaWait` for Ctrl-C).
    func wait(timeout: Double?, isHost: Bool) throws(LuaError) -> Result<LuaCargo, any Error>? {
        if let outcome = future.outcome { return outcome }
        if object.isRunningHere {
            throw LuaError(message: "cannot wait for a future of desync.object: \(object.name) from inside one of its own jobs (it would wait for itself forever)")
        }
        let reached = try LuaWait(runtime: object.runtime, isHost: isHost).wait(
            for: future, until: LuaWait.deadline(after: timeout),
            stuck: "cannot wait for a future of desync.object: \(object.name)")
        return reached ? future.outcome : nil
    }
}
