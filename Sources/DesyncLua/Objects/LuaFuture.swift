import Desync
import Synchronization

/// The Lua face of a `DesyncFuture`: results come back as a cargo of Lua values.
final class LuaFuture: LuaSharedObject {
    static let luaTypeName = "desync.future"

    let future: DesyncFuture<LuaCargo>
    /// The object whose queue runs the job.
    let object: LuaObject
    /// Cancels the job while it is suspended; nil for futures of other work (`pipe_in`).
    let control: LuaJobControl?
    /// Its failure was reported already (`obj:pipe_in`'s future: each item's error is), so a
    /// failure nobody observes is not reported again.
    private let failureReported: Bool
    /// Someone saw the outcome: `f:wait` or `f:result` returned it, or `obj:after(f, ...)` took
    /// it over. A failure nobody saw is reported when the future is collected (see `deinit`).
    private let observed = Atomic<Bool>(false)

    init(_ future: DesyncFuture<LuaCargo>, object: LuaObject, control: LuaJobControl? = nil, failureReported: Bool = false) {
        self.future = future
        self.object = object
        self.control = control
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

    /// Cancels the job if it has not started, or if it is suspended (its wait then raises
    /// "cancelled" inside it, and the future ends cancelled). False while it runs Lua code, and
    /// once it is over.
    func cancel() -> Bool {
        future.cancel() || control?.cancelIfSuspended() == true
    }

    /// True once finished.
    var isDone: Bool { future.isDone }

    /// The status name `f:status()` shows.
    var status: String { future.status.rawValue }
}
