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
/// start on demand, up to ``maxThreads``, and retire when it is lowered.
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

    private let state: AdaptiveLockedValue<SchedulerState>
    private let totals = JobTotals()

    /// Per-job tracing for this pool's objects: `tracing.start()`, then `tracing.stop()` returns
    /// the events.
    public let tracing = Tracer()

    /// A new pool with at most `maxThreads` threads (0 allowed), started on demand.
    public init(maxThreads: Int = Scheduler.defaultMaxThreads) {
        precondition(maxThreads >= 0, "desync: maxThreads must be 0 or more, not \(maxThreads)")
        state = AdaptiveLockedValue(SchedulerState(maxThreads: maxThreads))
    }

    /// The most threads the pool runs at once; 0 means queued work runs only when a `sync` or a
    /// future's `wait()` reaches it. Raising it starts threads for waiting work; lowering it
    /// retires threads as they become idle. A pool thread blocked in a ``DesyncChannel`` does not
    /// count: while it is blocked the pool may run one more thread (see
    /// ``SchedulerStats/threadsBlocked``).
    public var maxThreads: Int {
        get { state.withLockedValue { $0.maxThreads } }
        set {
            let (wake, start) = state.withLockedValue { $0.setMaxThreads(newValue) }
            for sleeper in wake { sleeper.unpark() }
            for _ in 0..<start { startWorker() }
        }
    }

    /// A snapshot of the pool.
    public var stats: SchedulerStats {
        var stats = state.withLockedValue { state in
            SchedulerStats(
                maxThreads: state.maxThreads,
                threadsAlive: state.threadsAlive,
                threadsBusy: state.threadsBusy,
                threadsIdle: state.threadsIdle,
                readyQueues: state.ready.count,
                threadsBlocked: state.threadsBlocked
            )
        }
        let jobs = totals.snapshot
        stats.jobsRun = jobs.total
        stats.jobsRunByKind = jobs.perKind
        stats.jobsRunByCallers = jobs.byCallers
        return stats
    }

    func schedule(_ queue: QueueCore) {
        switch state.withLockedValue({ $0.schedule(queue) }) {
        case .none: break
        case .wake(let sleeper): sleeper.unpark()
        case .startThread: startWorker()
        }
    }

    /// Puts `queue` at the tail of the ready list without waking a thread: for a pool thread
    /// ending its turn, which asks for work (`nextWork`) right after.
    func relist(_ queue: QueueCore) {
        state.withLockedValue { $0.relist(queue) }
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
        guard let pool = currentWorkerPool else { return try body() }
        if pool.state.withLockedValue({ $0.workerBlocked() }) { pool.startWorker() }
        defer { pool.state.withLockedValue { $0.workerUnblocked() }?.unpark() }
        return try body()
    }

    /// Which pool a thread belongs to: set by each worker thread for its whole life, so a job can
    /// tell that it runs on a pool thread (and which pool) when it is about to block.
    private static let workerKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key, nil)
        precondition(status == 0, "desync: cannot create a thread-local key")
        return key
    }()

    /// The pool whose worker is the calling thread, if it is one.
    static var currentWorkerPool: Scheduler? {
        guard let pointer = pthread_getspecific(workerKey) else { return nil }
        // Unretained: set only by `workerLoop`, whose closure holds the pool for the thread's life.
        return Unmanaged<Scheduler>.fromOpaque(pointer).takeUnretainedValue()
    }

    private func startWorker() {
        WorkerThread.start { [self] in workerLoop() }
    }

    private func workerLoop() {
        // Its own parker, not the thread's: jobs on this thread that wait use the thread's
        // parker, and a late wake-up meant for them must not look like new work.
        let idleParker = Parker()
        pthread_setspecific(Self.workerKey, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.workerKey, nil) }
        var finishedTurn = false
        var woken = false
        // Reused turn after turn, so taking a batch of jobs does not allocate.
        var batch = JobList()
        while true {
            let action = state.withLockedValue {
                $0.nextWork(finishedTurn: finishedTurn, woken: woken, parker: idleParker)
            }
            switch action {
            case .retire(let next):
                next?.unpark()
                return
            case .sleep:
                finishedTurn = false
                idleParker.park()
                woken = true
            case .run(let queue, let next):
                next?.unpark()
                queue.runTurn(batch: &batch)
                finishedTurn = true
                woken = false
            }
        }
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
}

extension Scheduler {
    /// True when pool threads can run queued work, so a waiter with a deadline may leave it to
    /// them instead of running it itself.
    package var runsQueuedWork: Bool {
        maxThreads > 0
    }
}
