import DequeModule

/// The pool's bookkeeping, as a value: transitions return the action to perform outside the lock.
struct SchedulerState: Sendable {
    enum ScheduleAction {
        case none
        case wake(Parker)
        case startThread
    }

    enum WorkerAction {
        /// Run the queue; wake `andWake` first, if set, for the ready queues left behind.
        case run(QueueCore, andWake: Parker?)
        case sleep
        /// End the thread; wake `andWake` first, if set, for the ready queues left behind.
        case retire(andWake: Parker?)
    }

    private(set) var ready = Deque<QueueCore>()
    private(set) var maxThreads: Int
    private(set) var threadsAlive = 0
    private(set) var threadsBusy = 0
    /// Pool threads blocked outside desync (in a `DesyncChannel` send or receive). Each one lets
    /// the pool run one more thread while it lasts, so the work that would unblock it still finds
    /// a thread; see `Scheduler.blockingOutside`.
    private(set) var threadsBlocked = 0
    /// Idle workers' parkers, most recently idle last (it is woken first: its cache is warm).
    private var idle: [Parker] = []
    /// Workers woken for new work that have not yet asked for it. While one is on its way,
    /// `schedule` wakes nobody else: that worker takes the first ready queue and, if more are
    /// left, wakes the next one (`nextWork`). So a burst of submissions costs one wake-up (a
    /// system call and a context switch) at a time, not one per queue that became ready.
    private var waking = 0

    init(maxThreads: Int) {
        self.maxThreads = maxThreads
    }

    var threadsIdle: Int { idle.count }

    /// The most threads that may be alive now: `maxThreads`, plus one per blocked thread.
    private var threadLimit: Int { maxThreads + threadsBlocked }

    mutating func schedule(_ queue: QueueCore) -> ScheduleAction {
        ready.append(queue)
        if waking > 0 { return .none }
        if let sleeper = idle.popLast() {
            waking += 1
            return .wake(sleeper)
        }
        if threadsAlive < threadLimit {
            threadsAlive += 1
            return .startThread
        }
        return .none
    }

    /// A worker that ends its turn lists the queue it ran, which has jobs left, and asks for work
    /// next: nobody needs waking (`nextWork` wakes one if other queues wait too).
    mutating func relist(_ queue: QueueCore) {
        ready.append(queue)
    }

    /// A worker asks for work, after finishing a turn if `finishedTurn`, or after being woken
    /// from sleep if `woken`.
    mutating func nextWork(finishedTurn: Bool, woken: Bool, parker: Parker) -> WorkerAction {
        if finishedTurn { threadsBusy -= 1 }
        // Also woken to retire (`setMaxThreads`, `workerUnblocked`): never below 0, and a count
        // that drops early only costs an extra wake-up.
        if woken, waking > 0 { waking -= 1 }
        if threadsAlive > threadLimit {
            threadsAlive -= 1
            // Ready queues (the one this thread relisted at the end of its turn, say) must not
            // be left to nobody. Idle threads are retired before busy ones, so one is rarely
            // there to wake; busy ones take the queue at the end of their turn.
            if !ready.isEmpty, waking == 0, let next = idle.popLast() {
                waking += 1
                return .retire(andWake: next)
            }
            return .retire(andWake: nil)
        }
        if let queue = ready.popFirst() {
            threadsBusy += 1
            // More queues wait and nobody is on the way for them: wake the next worker.
            if !ready.isEmpty, waking == 0, let next = idle.popLast() {
                waking += 1
                return .run(queue, andWake: next)
            }
            return .run(queue, andWake: nil)
        }
        idle.append(parker)
        return .sleep
    }

    /// Returns the sleepers to wake (to retire) and how many threads to start.
    mutating func setMaxThreads(_ newValue: Int) -> (wake: [Parker], start: Int) {
        precondition(newValue >= 0, "desync: maxThreads must be 0 or more, not \(newValue)")
        maxThreads = newValue
        if threadsAlive > threadLimit {
            let surplus = min(threadsAlive - threadLimit, idle.count)
            let woken = Array(idle.suffix(surplus))
            idle.removeLast(surplus)
            return (woken, 0)
        }
        let start = min(threadLimit - threadsAlive, ready.count)
        threadsAlive += start
        return ([], start)
    }

    /// A pool thread is about to block outside desync. Returns true when a thread must be started
    /// in its place: queues are waiting and no idle thread can take them.
    mutating func workerBlocked() -> Bool {
        threadsBlocked += 1
        guard !ready.isEmpty, idle.isEmpty, threadsAlive < threadLimit else { return false }
        threadsAlive += 1
        return true
    }

    /// A blocked pool thread carries on. Returns an idle thread to wake so it retires, when the
    /// pool is now above its limit (busy surplus threads retire when they finish their turn).
    mutating func workerUnblocked() -> Parker? {
        threadsBlocked -= 1
        guard threadsAlive > threadLimit else { return nil }
        return idle.popLast()
    }
}
