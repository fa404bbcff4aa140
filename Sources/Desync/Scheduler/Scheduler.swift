import NIOConcurrencyHelpers
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The pool of threads that runs every ``Desync`` object's jobs.
///
/// A queue with work and no thread goes on the ready list; a free worker takes the first ready
/// queue and runs up to a turn's worth of its jobs. Idle workers sleep; they never spin. Threads
/// start on demand, up to ``maxThreads``, and retire when it is lowered, at ``shutdown(timeout:)``,
/// or once the last reference to the pool is gone.
///
/// ```swift
/// let pool = Scheduler(maxThreads: 4)
/// let log = Desync([String](), scheduler: pool)
/// log.async { $0.append("hello") }
/// pool.maxThreads = 0   // from now on, queued work runs only when a sync or a wait reaches it
/// ```
public final class Scheduler: Sendable {
    /// The pool every object uses unless told otherwise. Its size is `DESYNC_THREADS` when that is
    /// set to a whole number, else ``defaultMaxThreads``.
    public static let shared = Scheduler(maxThreads: environmentMaxThreads ?? defaultMaxThreads)

    /// Two threads per active CPU: jobs that block briefly still leave every core busy.
    public static var defaultMaxThreads: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) * 2
    }

    private static var environmentMaxThreads: Int? {
        guard let text = getenv("DESYNC_THREADS") else { return nil }
        guard let count = Int(String(cString: text)), count >= 0 else { return nil }
        return count
    }

    private let pool: WorkerPool
    private let totals = JobTotals()
    /// Jobs suspended now (`QueueCore.suspendRunningJob`): each holds its queue, no thread.
    let suspendedJobs = Atomic<Int>(0)
    /// The pool's timers (`DesyncTimer`): one heap, fired by one thread.
    package let timers = TimerQueue()

    /// The pool's time: real, or virtual once it simulates (``simulate(_:)``).
    package let clock: SchedulerClock
    /// The simulated schedule, once ``simulate(_:)`` set it.
    let simulationBox = NIOLockedValueBox<Simulation?>(nil)

    /// Per-job tracing for this pool's objects: `tracing.start()`, then `tracing.stop()` returns
    /// the events.
    public let tracing: Tracer

    /// A new pool with at most `maxThreads` threads (0 allowed), started on demand.
    public convenience init(maxThreads: Int = Scheduler.defaultMaxThreads) {
        self.init(maxThreads: maxThreads, startThread: { WorkerThread.start($0) })
    }

    /// A pool whose threads are started by `startThread`, which returns 0 or `pthread_create`'s
    /// error: for tests, to make a thread start fail.
    package init(maxThreads: Int, startThread: @escaping @Sendable (@escaping @Sendable () -> Void) -> Int32) {
        if maxThreads < 0 { desyncFatal("desync: maxThreads must be 0 or more, not \(maxThreads)") }
        pool = WorkerPool(maxThreads: maxThreads, startThread: startThread)
        let clock = SchedulerClock()
        self.clock = clock
        tracing = Tracer(clock: clock)
    }

    /// The last reference is gone, so no object of this pool is left and no work is queued: the
    /// threads retire (each as soon as it finishes what it is doing).
    deinit {
        _ = pool.shutdown(timeout: nil, wait: false)
    }

    /// The most threads the pool runs at once; 0 means queued work runs only when a `sync` or a
    /// future's `wait()` reaches it. Raising it starts threads for waiting work at once; lowering
    /// it retires threads as they become idle. A pool thread blocked in a ``DesyncChannel`` does
    /// not count: while it is blocked the pool may run one more thread (see
    /// ``SchedulerStats/threadsBlocked``).
    ///
    /// If a thread cannot start (the system refuses `pthread_create`: too little memory for its
    /// stack, or too many threads), the pool runs on the threads it has, and with none, queued work
    /// runs on the threads that wait for it, as with 0; the first failure prints one line on stderr
    /// and ``SchedulerStats/threadStartFailures`` counts them.
    public var maxThreads: Int {
        get { pool.state.withLockedValue { $0.maxThreads } }
        set {
            if newValue != 0, isSimulated {
                desyncFatal("desync: a simulated scheduler runs its jobs on the waiting thread: maxThreads stays 0, not \(newValue)")
            }
            let (wake, start) = pool.state.withLockedValue { $0.setMaxThreads(newValue) }
            for sleeper in wake { sleeper.unpark() }
            for _ in 0..<start { pool.startWorker() }
        }
    }

    /// Retires every pool thread once the work that is ready has run, and waits until they have
    /// left, at most `timeout` if one is given. Returns true when no pool thread is left.
    ///
    /// Like swift-nio's `syncShutdownGracefully`, for a pool that is done: `maxThreads` becomes 0,
    /// so from then on queued work runs only when a `sync` or a `wait()` reaches it. Raising
    /// `maxThreads` again starts threads again. Dropping the last reference to a scheduler
    /// retires its threads too, without waiting.
    ///
    /// A job running on one of this pool's threads that calls `shutdown` does not wait (it would
    /// wait for itself): the threads retire, and it returns false.
    @discardableResult
    public func shutdown(timeout: Duration? = nil) -> Bool {
        pool.shutdown(timeout: timeout, wait: true)
    }

    /// True while the pool has a thread: false with `maxThreads` at 0, after ``shutdown(timeout:)``,
    /// or when no thread could start. Without one, queued work runs only where a caller waits
    /// for it, so a caller that waits for everything must run the work itself.
    package var hasThreads: Bool {
        pool.state.withLockedValue { $0.threadsAlive > 0 }
    }

    /// A snapshot of the pool.
    public var stats: SchedulerStats {
        var listed: [QueueCore] = []
        var stats = pool.state.withLockedValue { state in
            listed = Array(state.ready)
            return SchedulerStats(
                maxThreads: state.maxThreads,
                threadsAlive: state.threadsAlive,
                threadsBusy: state.threadsBusy,
                threadsIdle: state.threadsIdle,
                readyQueues: 0,
                threadsBlocked: state.threadsBlocked,
                threadStartFailures: state.threadStartFailures
            )
        }
        // A listed queue that a waiting caller has run meanwhile stays on the list until a
        // worker pops it: only those still waiting for a thread count (each looked at under its
        // own lock, after the pool's is released).
        stats.readyQueues = listed.reduce(0) { $0 + ($1.isWaitingForThread ? 1 : 0) }
        let jobs = totals.snapshot
        stats.jobsRun = jobs.total
        stats.jobsRunByKind = jobs.perKind
        stats.jobsRunByCallers = jobs.byCallers
        stats.suspendedJobs = max(0, suspendedJobs.load(ordering: .relaxed))
        stats.timersPending = timers.count
        return stats
    }

    func schedule(_ queue: QueueCore) {
        pool.perform(pool.state.withLockedValue { $0.schedule(queue) })
    }

    /// Puts `queue` at the tail of the ready list without waking a thread: for a pool thread
    /// ending its turn, which asks for work (`nextWork`) right after.
    func relist(_ queue: QueueCore) {
        pool.state.withLockedValue { $0.relist(queue) }
    }

    /// The ready list, oldest first (a simulation's PCT pick, or its trace).
    var readyQueues: [QueueCore] {
        pool.state.withLockedValue { Array($0.ready) }
    }

    /// How many queues are on the ready list.
    var readyCount: Int {
        pool.state.withLockedValue { $0.ready.count }
    }

    /// Takes the ready queue at `index` off the list (a simulation's pick).
    func takeReady(at index: Int) -> QueueCore {
        pool.state.withLockedValue { $0.removeReady(at: index) }
    }

    /// Takes `queue` off the ready list if it is there.
    func unlist(_ queue: QueueCore) {
        pool.state.withLockedValue { $0.unlist(queue) }
    }

    func count(_ counts: JobCounts, onPoolThread: Bool) {
        totals.add(counts, onPoolThread: onPoolThread)
    }

    /// Where queues of this pool register their inline `sync` counts.
    var inlineSyncs: InlineSyncs { totals.inlineSyncs }


    /// Runs `body`, which may block the calling thread on something outside desync (a
    /// `DesyncChannel` that is full or empty). When the caller is a pool thread, its pool may start
    /// one extra thread for as long as `body` runs, so that work that can unblock it, queued on
    /// other objects, still finds a thread even when every pool thread is blocked. On any other
    /// thread it just runs `body`: with 0 pool threads nothing runs by itself, and a thread that
    /// blocks must be unblocked by another thread.
    package static func blockingOutside<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        guard let pool = WorkerPool.current else { return try body() }
        if pool.state.withLockedValue({ $0.workerBlocked() }) { pool.startWorker() }
        defer { pool.state.withLockedValue { $0.workerUnblocked() }?.unpark() }
        return try body()
    }
}

/// A snapshot of a ``Scheduler``.
public struct SchedulerStats: Sendable, Equatable {
    /// The most threads the pool may run.
    public var maxThreads = 0
    /// Pool threads that exist now.
    public var threadsAlive = 0
    /// Pool threads running jobs now.
    public var threadsBusy = 0
    /// Pool threads asleep, waiting for work.
    public var threadsIdle = 0
    /// Queues waiting for a thread.
    public var readyQueues = 0
    /// Jobs run since the pool was made, by pool threads and by waiting callers.
    public var jobsRun = 0
    /// ``jobsRun`` by the kind of call that queued each job.
    public var jobsRunByKind: [JobKind: Int] = [:]
    /// Of ``jobsRun``, how many ran on a caller's thread (`sync` on an idle object, or a caller
    /// running the queue while it waits) rather than on a pool thread.
    public var jobsRunByCallers = 0
    /// Pool threads blocked in a `DesyncChannel`; the pool may run this many threads beyond
    /// ``maxThreads`` meanwhile.
    public var threadsBlocked = 0
    /// Threads the pool could not start (the system refused `pthread_create`) since it was made;
    /// the pool runs on those it has. See ``Scheduler/maxThreads``.
    public var threadStartFailures = 0
    /// Jobs that started, then suspended (waiting without a thread, holding their object's queue)
    /// and have not resumed yet.
    public var suspendedJobs = 0
    /// Timers set and not fired yet.
    public var timersPending = 0
}

extension Scheduler {
    /// True when pool threads can run queued work, so a waiter with a deadline may leave it to
    /// them instead of running it itself.
    package var runsQueuedWork: Bool {
        pool.state.withLockedValue { state in
            // Shut down, or no thread could start: only callers that wait run the work.
            state.maxThreads > 0 && !state.shuttingDown && (state.threadsAlive > 0 || state.threadStartFailures == 0)
        }
    }
}
