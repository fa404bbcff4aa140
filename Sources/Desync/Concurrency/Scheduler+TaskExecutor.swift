/// A scheduler is a Swift task executor (SE-0417): a task that prefers it runs its nonisolated
/// code on the scheduler's pool threads instead of Swift's cooperative pool.
///
/// ```swift
/// let pool = Scheduler(maxThreads: 4)
/// let sum = await withTaskExecutorPreference(pool) {
///     await crunch(numbers)          // a nonisolated async function: runs on a desync pool thread
/// }
/// let task = Task(executorPreference: pool) { await crunch(more) }
/// ```
///
/// Each piece of the task (from its start, or from a suspension point, to its next suspension)
/// runs as one job on a queue of its own, so pieces of different tasks run in parallel, on as many
/// threads as the pool has, and a piece may block its thread (a `sync`, a future's `wait()`) as
/// any job may. Child tasks (`async let`, task groups) inherit the preference. Code isolated to
/// an actor still runs on that actor's executor.
///
/// The pieces need a pool thread: on a scheduler with 0 threads (``maxThreads`` at 0, or after
/// ``shutdown(timeout:)``) they wait until ``maxThreads`` is raised, since no caller waits on
/// their queues to run them.
extension Scheduler: TaskExecutor {
    /// Runs `job`, a piece of a task that prefers this scheduler, as a job on a queue of its own.
    public func enqueue(_ job: consuming ExecutorJob) {
        // A queue per piece: pieces of different tasks must not wait for each other, and a piece
        // of one task is never enqueued before the previous one has run.
        let queue = JobQueue(value: (), label: "task", scheduler: self)
        queue.submit(.async, TaskPieceJob(job: UnownedJob(job), executor: asUnownedTaskExecutor()))
    }
}

/// A piece of a task run as a job: it does not touch the queue's value.
struct TaskPieceJob: JobBody {
    typealias Value = Void
    let job: UnownedJob
    let executor: UnownedTaskExecutor

    func run(on value: UnsafeMutableRawPointer, queue: QueueCore) {
        // As a task executor, not as the queue's serial executor: the piece's code is
        // nonisolated, isolated to no serial executor.
        job.runSynchronously(on: executor)
    }
}
