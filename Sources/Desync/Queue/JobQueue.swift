/// The storage behind a ``Desync``: its value, and through ``QueueCore`` its jobs.
@usableFromInline
final class JobQueue<T>: QueueCore, @unchecked Sendable {
    // @unchecked: `value` is touched only by the queue's owner; see `QueueCore`.
    @usableFromInline let value: UnsafeMutablePointer<T>

    init(value: consuming sending T, label: String, scheduler: Scheduler) {
        // A buffer of its own (never shared with other fields), so ThreadSanitizer does not take
        // accesses to the value for accesses to the queue's bookkeeping, even when `T` is empty.
        let pointer = UnsafeMutableRawPointer.allocate(
            byteCount: max(MemoryLayout<T>.size, 1), alignment: MemoryLayout<T>.alignment)
        self.value = pointer.initializeMemory(as: T.self, to: value)
        super.init(valuePointer: pointer, label: label, scheduler: scheduler)
    }

    /// Queues a job for this queue's value type; a body made for another value type does not
    /// compile here. Inlinable, so the caller's specialised code boxes the body and moves the job
    /// into the queue with no run-time metadata lookup.
    @inlinable
    func submit<Body: JobBody>(_ kind: JobKind, _ body: Body) where Body.Value == T {
        submitJob(Job(kind: kind, body: body))
    }

    /// `submit` of a job that may not start before `gate` opens (`after`).
    func submit<Body: JobBody>(_ kind: JobKind, _ body: Body, gate: any Waitable) where Body.Value == T {
        submitJob(Job(gate: gate, kind: kind, body: body))
    }

    deinit {
        // Every job holds the queue (through the scheduler, a gate's callback, or a waiting
        // caller) until it has run, so none is left.
        value.deinitialize(count: 1)
        UnsafeMutableRawPointer(value).deallocate()
    }

    /// `sync` or `trySync` when the caller could not enter without the lock: runs `job` at once
    /// if the queue is idle, else returns nil.
    ///
    /// Inlinable, as the rest of the slow path, so that the caller specialises it: unspecialised,
    /// each generic type it makes (the optional result, the handoff, the job's box) was looked up
    /// at run time, about half of the 11,000 instructions of an `async` + busy `sync` pair
    /// (callgrind, 0 threads).
    @inlinable
    func runIfIdle<R, E: Error>(_ job: (inout T) throws(E) -> R) throws(E) -> R? {
        guard let traced = enterIdleSync() else { return nil }
        defer { finishSync(traced: traced) }
        return try job(&value.pointee)
    }

    /// The slow path of `sync`: at once if the queue turned out idle, else behind its jobs.
    @inlinable
    func syncSlow<R, E: Error>(_ job: (inout T) throws(E) -> R) throws(E) -> R {
        if let result = try runIfIdle(job) { return result }
        return try runBehindQueue(job)
    }

    /// The slow path of `trySync`: nil when the queue is busy.
    @inlinable
    func trySyncSlow<R, E: Error>(_ job: (inout T) throws(E) -> R) throws(E) -> R? {
        try runIfIdle(job)
    }

    /// `sync` when the queue is busy: the job goes behind the others, and this thread either
    /// runs the queue up to it or sleeps until someone else has.
    @inlinable
    func runBehindQueue<R, E: Error>(_ job: (inout T) throws(E) -> R) throws(E) -> R {
        try withoutActuallyEscaping(job) { (escapable) throws(E) -> R in
            let handoff = SyncHandoff(escapable)
            let completion = SyncCompletion()
            submit(.sync, SyncJob(handoff: handoff, completion: completion))
            waitForSync(completion)
            return try handoff.outcome.get()
        }
    }
}

/// Carries a `sync` job, which is not `Sendable`, to the thread that runs it, and its outcome back.
@usableFromInline
final class SyncHandoff<T, R, E: Error>: @unchecked Sendable {
    // @unchecked: the caller of `sync` sleeps from `submit` until the job's completion opens, so
    // the job and its captures are used by exactly one thread at a time, and `outcome` is written
    // before the completion's lock is released and read after it is taken.
    // Unchecked exclusivity, for the same reason: the run-time check cost 124 instructions a
    // `sync` (callgrind).
    @usableFromInline @exclusivity(unchecked) var job: ((inout T) throws(E) -> R)?
    @usableFromInline @exclusivity(unchecked) var stored: Result<R, E>?

    @inlinable
    init(_ job: @escaping (inout T) throws(E) -> R) { self.job = job }

    @inlinable
    func run(_ value: inout T) {
        // Let go of the job before the caller wakes: it must not outlive `sync`.
        let job = self.job.take()!
        do throws(E) {
            stored = .success(try job(&value))
        } catch {
            stored = .failure(error)
        }
    }

    @inlinable
    var outcome: Result<R, E> { stored! }
}

/// A `sync` job queued behind others: runs the caller's job through its handoff, then opens the
/// gate the caller waits on.
@usableFromInline
struct SyncJob<T, R, E: Error>: JobBody {
    @usableFromInline typealias Value = T
    @usableFromInline let handoff: SyncHandoff<T, R, E>
    @usableFromInline let completion: SyncCompletion

    @inlinable
    init(handoff: SyncHandoff<T, R, E>, completion: SyncCompletion) {
        self.handoff = handoff
        self.completion = completion
    }

    @usableFromInline
    func run(on value: UnsafeMutableRawPointer, queue: QueueCore) {
        handoff.run(&value.assumingMemoryBound(to: T.self).pointee)
        queue.jobFinishing()
        completion.open()
    }
}
