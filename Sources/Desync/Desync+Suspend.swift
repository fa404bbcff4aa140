/// Jobs that suspend: the package-level pieces the Lua runtime builds its coroutine jobs on (and a
/// later Swift API for async jobs will).
extension Desync {
    /// From inside a job of this object, by that job: when its body returns, the job is not over.
    /// `rest` runs once `gate` opens, before any job queued later, and may suspend again; until
    /// then the object's queue is held and no thread is. See `QueueCore.suspendRunningJob`.
    package func suspendRunningJob(until gate: any Waitable, kind: JobKind, then rest: @escaping @Sendable (inout T) -> Void) {
        queue.suspendRunningJob(until: gate, kind: kind, continuation: RawClosureJob { value in
            rest(&value.assumingMemoryBound(to: T.self).pointee)
        })
    }

    /// A future for a job of this object that completes it by hand (``submit(_:completing:_:)``):
    /// waiters on it drive this object's queue.
    package func makeFuture<R: Sendable>() -> DesyncFuture<R> {
        DesyncFuture<R>(core: queue)
    }

    /// Queues `job`, which completes `future` itself (`DesyncFuture.complete`), in its first slice
    /// or, after suspending, in a later one. Skipped, like any job, if `future` was cancelled
    /// before it started.
    /// `gate`: the job may not start before it opens (`after`); the queue pauses until then.
    /// Cancelling `future` meanwhile opens the gate too: the job is skipped.
    package func submit<R: Sendable>(
        _ kind: JobKind, completing future: DesyncFuture<R>, after gate: (any Waitable)? = nil,
        _ job: @escaping @Sendable (inout T) -> Void
    ) {
        let body = RawClosureJob { value in
            guard future.start() else { return }
            job(&value.assumingMemoryBound(to: T.self).pointee)
        }
        // The queue's value is a `T`: what `JobQueue.submit` checks, for generic bodies.
        queue.submitJob(Job(gate: gate.map { FirstOf([$0, future]) }, kind: kind, body: body))
    }

    /// A job of this object that hands back a result by hand tells the queue first, so that
    /// whoever sees the result does not count the job in ``pending``. Called by the job.
    package func jobFinishing() {
        queue.jobFinishing()
    }

    /// The object's queue, as a node of the wait-for graph (``WaitGraph``).
    package var waitNode: QueueCore { queue }
}

extension DesyncFuture {
    /// Completes a future made by ``Desync/makeFuture()``; false if it had an outcome already.
    @discardableResult
    package func complete(_ result: Result<Success, any Error>) -> Bool {
        finish(result)
    }

    /// Ends a started job's future as cancelled (its job stopped at a cancel request); false if it
    /// had an outcome already.
    @discardableResult
    package func completeCancelled() -> Bool {
        finishCancelled()
    }
}

/// A job body on the value's raw pointer, for the calls above: they run unspecialised (the Lua
/// runtime calls them from another module), where a `ClosureJob<T>` looked up its metadata and
/// its witness table for every job (callgrind: about 430 instructions, twice per suspending
/// job). This one is not generic, so making and boxing it looks up nothing; its closure, which
/// the generic code makes anyway, casts the pointer.
struct RawClosureJob: JobBody {
    typealias Value = Void
    let body: @Sendable (UnsafeMutableRawPointer) -> Void

    init(_ body: @escaping @Sendable (UnsafeMutableRawPointer) -> Void) { self.body = body }

    func run(on value: UnsafeMutableRawPointer, queue: QueueCore) {
        body(value)
    }
}
