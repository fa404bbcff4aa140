/// A ``DesyncFuture`` completed by hand instead of by a job: for work that no object's queue
/// runs, whose end some callback learns (the Lua runtime's `pipe_in` finishes when its input has
/// been drained).
///
/// ```swift
/// let promise = DesyncPromise<Int>()
/// let stored = database.after(promise.future) { db, count in try db.store(count.get()) }
/// promise.succeed(42)    // now `stored` runs
/// ```
///
/// The future is `running` from the start, because the work it stands for is under way: its
/// `cancel()` returns false and changes nothing (stop that work instead, which then completes the
/// promise). The first completion decides the outcome; later ones change nothing and return
/// false, so racing completers need no agreement of their own.
///
/// A blocking wait on the future sleeps until the promise is completed: there is no queue to run,
/// so with 0 pool threads another thread must complete it, unless a helper
/// (``init(whileWaiting:)``) lets the waiting thread run the work itself. `await value` and
/// `after` work as with any future.
package final class DesyncPromise<Success: Sendable>: Sendable {
    /// Done or failed once the promise is completed.
    package let future: DesyncFuture<Success>

    /// A promise whose waiters only sleep.
    package convenience init() {
        self.init(help: nil)
    }

    /// A promise whose blocking waiters call `help` before they sleep, and again at least every
    /// 50 ms while they wait, so that a thread waiting with 0 pool threads can run the work that
    /// completes the promise.
    ///
    /// - Parameter help: runs some of that work, if there is any to run on the calling thread;
    ///   true when it ran something (the waiter then looks again at once, unless its deadline
    ///   has passed), false when there was nothing (the waiter then sleeps). It runs on whichever
    ///   thread waits, pool threads included, possibly on several at once.
    package convenience init(whileWaiting help: @escaping @Sendable () -> Bool) {
        self.init(help: help)
    }

    private init(help: (@Sendable () -> Bool)?) {
        future = DesyncFuture(queue: PromiseWait(help: help))
        _ = future.start()
    }

    /// Completes the future with `result`. False, and nothing changes, if it was completed before.
    @discardableResult
    package func complete(with result: Result<Success, any Error>) -> Bool {
        future.finish(result)
    }

    /// Completes the future with `value`. False if it was completed before.
    @discardableResult
    package func succeed(_ value: Success) -> Bool {
        complete(with: .success(value))
    }

    /// Fails the future with `error`. False if it was completed before.
    @discardableResult
    package func fail(_ error: any Error) -> Bool {
        complete(with: .failure(error))
    }
}
