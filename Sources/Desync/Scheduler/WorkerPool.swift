#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A scheduler's threads and their bookkeeping, apart from the ``Scheduler`` itself.
///
/// Worker threads hold this, not the scheduler: a thread that held its scheduler kept it alive
/// for ever, so a dropped scheduler never retired its threads (1,000 schedulers made and dropped
/// left 1,001 threads). Queues hold the scheduler, so it lives while any of its objects does;
/// once the last reference goes, `Scheduler.deinit` retires the threads here.
final class WorkerPool: Sendable {
    /// Starts a thread running its argument; returns 0 or `pthread_create`'s error.
    typealias ThreadStarter = @Sendable (@escaping @Sendable () -> Void) -> Int32

    let state: AdaptiveLockedValue<SchedulerState>
    private let startThread: ThreadStarter

    init(maxThreads: Int, startThread: @escaping ThreadStarter) {
        state = AdaptiveLockedValue(SchedulerState(maxThreads: maxThreads))
        self.startThread = startThread
    }

    /// Performs what a transition asked for.
    func perform(_ action: SchedulerState.ScheduleAction) {
        switch action {
        case .none: break
        case .wake(let sleeper): sleeper.unpark()
        case .startThread: startWorker()
        }
    }

    /// Starts a thread that `SchedulerState` has counted already; on failure, uncounts it and
    /// warns, once per pool. The ready queues it was for stay listed (see `threadStartFailed`).
    func startWorker() {
        let status = startThread { [self] in workerLoop() }
        guard status != 0 else { return }
        let (first, exited) = state.withLockedValue { $0.threadStartFailed() }
        exited.unparkAll()
        guard first else { return }
        let alive = state.withLockedValue { $0.threadsAlive }
        let running = alive == 0
            ? "no pool thread: queued jobs run when a sync or a wait reaches them"
            : "running on \(alive) thread\(alive == 1 ? "" : "s")"
        writeToStandardError("desync: could not start a pool thread (pthread_create: \(status)); \(running)")
    }

    /// See `Scheduler.shutdown`. Returns true when no thread is left (at once, or within
    /// `timeout`); waits for nothing when called on one of this pool's own threads.
    func shutdown(timeout: Duration?, wait: Bool) -> Bool {
        let onOwnThread = Self.current === self
        let waiter = wait && !onOwnThread ? Parker() : nil
        let (sleepers, threadsLeft) = state.withLockedValue { $0.shutdown(waiter: waiter) }
        for sleeper in sleepers { sleeper.unpark() }
        guard threadsLeft else { return true }
        guard let waiter else { return false }
        if let timeout {
            _ = waiter.park(until: .now + timeout)
        } else {
            waiter.park()
        }
        return state.withLockedValue { $0.threadsAlive == 0 }
    }

    /// Which pool a thread belongs to: set by each worker thread for its whole life, so a job can
    /// tell that it runs on a pool thread (and which pool) when it is about to block.
    private static let workerKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key, nil)
        if status != 0 { desyncFatal("desync: cannot create a thread-local key") }
        return key
    }()

    /// The pool whose worker is the calling thread, if it is one.
    static var current: WorkerPool? {
        guard let pointer = pthread_getspecific(workerKey) else { return nil }
        // Unretained: set only by `workerLoop`, whose closure holds the pool for the thread's life.
        return Unmanaged<WorkerPool>.fromOpaque(pointer).takeUnretainedValue()
    }

    private func workerLoop() {
        // Its own parker, not the thread's: jobs on this thread that wait use the thread's
        // parker, and a late wake-up meant for them must not look like new work.
        let idleParker = Parker()
        pthread_setspecific(Self.workerKey, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.workerKey, nil) }
        var finishedTurn = false
        var woken = false
        var firstAsk = true
        // Reused turn after turn, so taking a batch of jobs does not allocate.
        var batch = JobList()
        while true {
            let action = state.withLockedValue {
                $0.nextWork(finishedTurn: finishedTurn, woken: woken, firstAsk: firstAsk, parker: idleParker)
            }
            firstAsk = false
            switch action {
            case .retire(let next, let exited):
                next?.unpark()
                exited.unparkAll()
                return
            case .sleep:
                finishedTurn = false
                idleParker.park()
                woken = true
            case .run(let queue, let then):
                perform(then)
                queue.runTurn(batch: &batch)
                finishedTurn = true
                woken = false
            }
        }
    }
}
