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
/// so with 0 pool threads another thread must complete it, unless a driver (``init(driver:)``)
/// lets the waiting thread run the work itself. `await value` and
/// `after` work as with any future.
package final class DesyncPromise<Success: Sendable>: Sendable {
    /// Done or failed once the promise is completed.
    package let future: DesyncFuture<Success>

    /// A promise whose blocking waiters run what `driver` gives them (nil: they only sleep).
    package init(driver: (any WaitDriver)? = nil) {
        future = DesyncFuture(driver: driver)
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
