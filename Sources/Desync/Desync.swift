/// A value that is only ever touched by jobs that run one at a time, in the order they were
/// queued, on a shared pool of threads.
///
/// `Desync` is an alternative both to a mutex (``sync(_:)`` waits for its job, which runs after
/// every job queued before it) and to spawning threads (``async(_:)`` returns at once):
///
/// ```swift
/// let counter = Desync(0)
/// counter.async { $0 += 1 }                 // returns at once
/// let now = counter.sync { $0 }             // 1: runs after the async job
/// let later = counter.future { $0 * 10 }    // a handle to poll, wait on or await
/// print(now, try later.wait())              // 1 10
/// ```
///
/// Work queued on an object runs even after the last reference to the object is gone.
public final class Desync<T>: Sendable {
    @usableFromInline let queue: JobQueue<T>

    /// Makes `value` asynchronous. The object owns it from now on; only its jobs can reach it.
    /// The label names the object in traces (``Scheduler/tracing``).
    public init(_ value: consuming sending T, label: String? = nil, scheduler: Scheduler = .shared) {
        queue = JobQueue(value: value, label: label ?? "Desync<\(T.self)>", scheduler: scheduler)
    }

    /// The object's name in traces.
    public var label: String { queue.label }

    /// The pool this object's jobs run on.
    public var scheduler: Scheduler { queue.scheduler }

    /// Queues `job` and returns at once.
    ///
    /// What `job` captured is released after it ran, at the latest when a later `sync`, future,
    /// `after` or pipe job on this object runs, or 63 `async` jobs later: workers release finished
    /// jobs in bursts, which keeps two cores from trading the same cache lines for every job.
    @inlinable
    public func async(_ job: @escaping @Sendable (inout T) -> Void) {
        // Inlinable so that the job's type-erased box is made in the caller's specialised code,
        // with no run-time metadata lookup, and moved from there into the queue.
        queue.submit(.async, ClosureJob(job))
    }

    /// `async` with a job of the caller's own type: see ``DesyncJobBody``.
    @inlinable
    package func async<Body: DesyncJobBody>(body: Body) where Body.Value == T {
        queue.submit(.async, body)
    }

    /// `async`, counted and traced as another kind of call: a pipe's drain job.
    @inlinable
    package func async(kind: JobKind, _ job: @escaping @Sendable (inout T) -> Void) {
        queue.submit(kind, ClosureJob(job))
    }

    /// Runs `job` after every job queued before it and returns its result; an error it throws is
    /// rethrown here.
    ///
    /// On an idle object the job runs at once on the calling thread. When jobs are queued and no
    /// thread runs them (the pool is full, or has 0 threads), the caller runs them itself, up to
    /// and including its own; when another thread runs them, the caller sleeps until its job is
    /// done.
    ///
    /// - Precondition: not called from inside one of this object's own jobs on the same thread:
    ///   directly, or through other objects' `sync` calls (A's job syncs B, whose job syncs A).
    ///   That would wait forever, so it stops the program with a message naming the object. A
    ///   cycle whose waits sit on different threads (A's job syncs B on one thread while B's job
    ///   syncs A on another, each finding the other busy) stops it too, with `deadlock: job on A
    ///   waits for B, job on B waits for A`.
    @inlinable
    public func sync<R, E: Error>(_ job: (inout T) throws(E) -> R) throws(E) -> R {
        // Inlinable, and on an idle object nothing but two compare-and-exchanges on the owner
        // word around the job: the caller specialises it, so no type metadata is looked up.
        let me = queue.enterInline()
        if me != 0 {
            defer { queue.leaveInline(me) }
            return try job(&queue.value.pointee)
        }
        return try queue.syncSlow(job)
    }

    /// Runs `job` only if the object is idle with nothing queued; returns nil, without waiting,
    /// when it is busy.
    ///
    /// ```swift
    /// if let snapshot = cache.trySync({ $0 }) { show(snapshot) } else { showSpinner() }
    /// ```
    ///
    /// - Precondition: not called from inside one of this object's own jobs.
    @inlinable
    public func trySync<R, E: Error>(_ job: (inout T) throws(E) -> R) throws(E) -> R? {
        let me = queue.enterInline()
        if me != 0 {
            defer { queue.leaveInline(me) }
            return try job(&queue.value.pointee)
        }
        return try queue.trySyncSlow(job)
    }

    /// Queues `job` and returns a handle to its result.
    ///
    /// ```swift
    /// let total = numbers.future { $0.reduce(0, +) }
    /// print(try total.wait())
    /// ```
    @inlinable
    public func future<R: Sendable>(
        _ job: @escaping @Sendable (inout T) throws -> R
    ) -> DesyncFuture<R> {
        future(as: .future, job)
    }

    /// `future`, counted and traced as another kind of call: a `sync` that waits through a
    /// future so that it can stop waiting (the Lua host's Ctrl-C).
    ///
    /// Inlinable, as `async` is, so that the caller's specialised code makes the future and its
    /// job: in unspecialised code each of their generic types is looked up at run time.
    @inlinable
    package func future<R: Sendable>(
        as kind: JobKind, _ job: @escaping @Sendable (inout T) throws -> R
    ) -> DesyncFuture<R> {
        let future = DesyncFuture<R>(core: queue)
        queue.submit(kind, FutureJob(future: future, body: job))
        return future
    }

    /// Queues `job` to run once `first` has finished, with its outcome. Until then the object's
    /// queue pauses, holding no thread: jobs queued later wait behind this one. Cancelling the
    /// returned future while it waits ends the pause: the job is skipped.
    ///
    /// ```swift
    /// let fetched = network.future { try $0.fetch() }
    /// let stored = database.after(fetched) { db, page in try db.store(page.get()) }
    /// ```
    public func after<U, R: Sendable>(
        _ first: DesyncFuture<U>,
        _ job: @escaping @Sendable (inout T, Result<U, any Error>) throws -> R
    ) -> DesyncFuture<R> {
        let future = DesyncFuture<R>(driver: queue)
        // The job's own future is done before the job runs only when it was cancelled: the gate
        // then opens too, and the queue resumes and skips the job.
        queue.submit(.after, AfterJob(first: first, future: future, body: job), gate: FirstOf([first, future]))
        return future
    }

    /// Jobs queued and not finished, the running one included.
    public var pending: Int { queue.pending }

    /// ``pending``, and a count that grows with every job queued and every `sync` that ran
    /// without queuing. Taken twice, equal readings with nothing pending mean the object was
    /// idle all the time in between: this is how a caller can tell that a set of objects whose
    /// jobs queue work on each other has really gone quiet (a pass over their `pending` counts
    /// alone can miss a job queued on an object already passed).
    package var activity: (pending: Int, changes: Int) { queue.activity }

    /// Runs the object's queued jobs on the calling thread if no thread runs them (a turn's worth
    /// at most); false when it was idle, paused behind an `after`, or run by another thread.
    package func runQueuedJobsHere() -> Bool {
        queue.runQueuedJobsHere()
    }

    /// Reached once the object has no job queued or running: a waiter on it runs the queue when
    /// no thread does, or sleeps until it changes hands.
    package var drained: any Waitable { QueueDrained(queue) }

    /// True when called from inside one of this object's jobs (where ``sync(_:)`` on it would
    /// stop the program): lets callers that must not crash report the mistake instead.
    public var isRunningOnCurrentThread: Bool { queue.isRunningOnCurrentThread }
}
