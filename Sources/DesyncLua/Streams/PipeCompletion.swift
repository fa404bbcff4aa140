import Desync
import NIOConcurrencyHelpers

/// The end of `obj:pipe_in`: finished by the pipe once its input is closed and every item was
/// processed, failed with the first item's error if any failed.
///
/// `done`, `status`, `wait` and `result` read `outcome` and wait with `wait(timeout:)`, on a
/// channel that carries nothing and that `finish` closes. `obj:after` needs a real
/// `DesyncFuture`, and the core makes futures only for jobs; so `future` is the future of a job
/// on a queue (the *latch*) of a private pool with 0 threads, where nothing runs by itself:
/// `finish` runs it, on its own thread, once the outcome is known, and the job returns it.
///
/// A thread may reach the latch's job earlier, by waiting on an object paused behind an
/// `after` on this future (the core then runs the job to help). The job then waits for the pipe
/// to finish, as that thread would have anyway, running the pipe itself when the runtime's pool
/// has 0 threads. (An `after` on the pipe's own object, while the stream is open, waits forever:
/// the pipe's jobs queue behind it.)
final class PipeCompletion: Sendable {
    /// The pool of the latch queues: no threads, so their jobs run only when `finish` (or a
    /// helping waiter) runs them.
    private static let parked = Scheduler(maxThreads: 0)

    /// Closed by `finish`.
    private let signal = DesyncChannel<Never>()
    private let failure = NIOLockedValueBox<LuaJobError?>(nil)
    private let latch: Desync<Void>
    let future: DesyncFuture<LuaCargo>

    /// - Parameter drive: runs the pipe once, with 0 pool threads (see `LuaPipe.drive`).
    init(label: String, runtime: RuntimeCore, drive: @escaping @Sendable () -> Void) {
        latch = Desync((), label: label, scheduler: Self.parked)
        let signal = signal
        let failure = failure
        future = latch.future { _ throws -> LuaCargo in
            while !signal.isClosed {
                if runtime.scheduler.maxThreads == 0 { drive() }
                _ = signal.receive(timeout: SlicedWait.slice)
            }
            if let error = failure.withLockedValue({ $0 }) { throw error }
            return LuaCargo()
        }
    }

    /// Records the outcome (failed with `error`, or done with no results) and finishes `future`.
    func finish(error: LuaJobError?) {
        failure.withLockedValue { $0 = error }
        signal.close()
        latch.sync { _ in }
    }

    /// The outcome once the pipe has finished; nil before.
    var outcome: Result<LuaCargo, any Error>? {
        guard signal.isClosed else { return nil }
        if let error = failure.withLockedValue({ $0 }) { return .failure(error) }
        return .success(LuaCargo())
    }

    /// Blocks until the pipe has finished, at most `timeout`; true if it has.
    func wait(timeout: Duration) -> Bool {
        if case .closed = signal.receive(timeout: timeout) { return true }
        return signal.isClosed
    }
}
