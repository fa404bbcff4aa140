/// A ``Desync`` object's queue as a Swift `SerialExecutor`: an actor whose executor it is runs
/// each of its jobs as a job of the object, in order with the object's other jobs.
///
/// ```swift
/// let log = Desync([String]())
/// actor Counter {
///     let log: Desync<[String]>
///     var count = 0
///     nonisolated var unownedExecutor: UnownedSerialExecutor {
///         log.executor.asUnownedSerialExecutor()
///     }
///     init(log: Desync<[String]>) { self.log = log }
///     func increment() { count += 1 }   // runs as a job of `log`
/// }
/// let counter = Counter(log: log)
/// log.async { $0.append("first") }
/// await counter.increment()            // after "first"
/// ```
///
/// What differs from a job: an actor method runs as one job only up to its first suspension
/// point; what follows each `await` is another job, queued when the await resumes, so other jobs
/// of the object may run between the slices of one method (actor reentrancy). A job that must
/// hold the object across awaits is an async job (``Desync/future(_:)-6deou`` with an `async` closure).
///
/// Inside any job of the object (a plain one too), `checkIsolated()` passes, so an actor on this
/// executor can be reached with `assumeIsolated`.
public final class DesyncExecutor: SerialExecutor {
    let core: QueueCore

    init(core: QueueCore) {
        self.core = core
    }

    /// Queues `job` as a job of the object.
    public func enqueue(_ job: consuming ExecutorJob) {
        core.enqueue(job)
    }

    /// The object's queue: the same executor however many `DesyncExecutor`s are made for it.
    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: core)
    }

    /// Stops the program unless called from inside one of the object's jobs.
    public func checkIsolated() {
        core.checkIsolated()
    }

    /// True inside one of the object's jobs.
    public func isIsolatingCurrentContext() -> Bool? {
        core.isRunningOnCurrentThread
    }
}

extension Desync {
    /// This object's queue as a `SerialExecutor`, for actors that run on it (see
    /// ``DesyncExecutor``). The object stays alive while an actor holds it.
    public var executor: DesyncExecutor {
        DesyncExecutor(core: queue)
    }
}

/// The queue itself is the executor the Swift runtime sees, so that its identity is the object's.
extension QueueCore: SerialExecutor {
    @usableFromInline
    package func enqueue(_ job: consuming ExecutorJob) {
        submitJob(Job(kind: .async, body: ExecutorJobBody(job: UnownedJob(job))))
    }

    @usableFromInline
    package func checkIsolated() {
        if !isRunningOnCurrentThread {
            desyncFatal("desync: code isolated to \(label) ran outside its jobs")
        }
    }

    @usableFromInline
    package func isIsolatingCurrentContext() -> Bool? {
        isRunningOnCurrentThread
    }
}

/// A Swift concurrency job run as a job of a queue: it does not touch the queue's value, so it
/// may run on a queue of any value type.
struct ExecutorJobBody: JobBody {
    typealias Value = Void
    let job: UnownedJob

    func run(on value: UnsafeMutableRawPointer, queue: QueueCore) {
        job.runSynchronously(on: UnownedSerialExecutor(ordinary: queue))
    }
}
