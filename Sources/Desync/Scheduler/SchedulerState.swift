import DequeModule

/// The pool's bookkeeping, as a value: transitions return the action to perform outside the lock.
struct SchedulerState: Sendable {
    /// What a transition asks of the caller, outside the lock, for the ready queues.
    enum ScheduleAction: Equatable {
        case none
        case wake(Parker)
        /// Start a thread; if it cannot start, report it with `threadStartFailed`.
        case startThread

        static func == (left: ScheduleAction, right: ScheduleAction) -> Bool {
            switch (left, right) {
            case (.none, .none), (.startThread, .startThread): true
            case (.wake(let first), .wake(let second)): first === second
            default: false
            }
        }
    }

    enum WorkerAction {
        /// Run the queue; first `then` (wake or start a thread) for the ready queues left behind.
        case run(QueueCore, then: ScheduleAction)
        case sleep
        /// End the thread; wake `andWake` first, if set, for the ready queues left behind, and
        /// `exited` (callers of `Scheduler.shutdown` waiting for the last thread) if this was it.
        case retire(andWake: Parker?, exited: Parkers)
    }

    private(set) var ready = Deque<QueueCore>()
    private(set) var maxThreads: Int
    private(set) var threadsAlive = 0
    private(set) var threadsBusy = 0
    /// Pool threads blocked outside desync (in a `DesyncChannel` send or receive). Each one lets
    /// the pool run one more thread while it lasts, so the work that would unblock it still finds
    /// a thread; see `Scheduler.blockingOutside`.
    private(set) var threadsBlocked = 0
    /// Threads that could not be started (`pthread_create` failed), since the pool was made.
    private(set) var threadStartFailures = 0
    /// Set by `shutdown`, cleared by `setMaxThreads`: threads run the ready queues empty, then
    /// retire instead of sleeping.
    private(set) var shuttingDown = false
    /// Idle workers' parkers, most recently idle last (it is woken first: its cache is warm).
    private var idle: [Parker] = []
    /// Workers woken for new work that have not yet asked for it. While one is on its way,
    /// `schedule` wakes nobody else: that worker takes the first ready queue and, if more are
    /// left, wakes the next one (`nextWork`). So a burst of submissions costs one wake-up (a
    /// system call and a context switch) at a time, not one per queue that became ready.
    private(set) var waking = 0
    /// Threads started that have not yet asked for work. Counted so that a burst starts one
    /// thread per ready queue, not more.
    private(set) var starting = 0
    /// Callers of `Scheduler.shutdown` waiting for the last thread to leave.
    private var exitWaiters = Parkers()

    init(maxThreads: Int) {
        self.maxThreads = maxThreads
    }

    var threadsIdle: Int { idle.count }

    /// The most threads that may be alive now: `maxThreads`, plus one per blocked thread.
    private var threadLimit: Int { maxThreads + threadsBlocked }

    /// Threads that will ask for work soon without anyone waking them.
    private var onTheWay: Int { waking + starting }

    /// Another thread for the ready queues: one woken if some sleep (and none is on its way: it
    /// would wake the next), else one started while the pool is below its limit and more queues
    /// are ready than threads are coming.
    private mutating func callAnotherThread() -> ScheduleAction {
        guard !ready.isEmpty else { return .none }
        if !idle.isEmpty {
            guard waking == 0 else { return .none }
            waking += 1
            return .wake(idle.removeLast())
        }
        guard threadsAlive < threadLimit, ready.count > onTheWay else { return .none }
        threadsAlive += 1
        starting += 1
        return .startThread
    }

    mutating func schedule(_ queue: QueueCore) -> ScheduleAction {
        defer { checkInvariants() }
        ready.append(queue)
        return callAnotherThread()
    }

    /// A worker that ends its turn lists the queue it ran, which has jobs left, and asks for work
    /// next: nobody needs waking (`nextWork` wakes one if other queues wait too).
    mutating func relist(_ queue: QueueCore) {
        defer { checkInvariants() }
        ready.append(queue)
    }

    /// Takes the ready queue at `index` off the list (a simulation's pick: it has no worker to
    /// pop the first).
    mutating func removeReady(at index: Int) -> QueueCore {
        defer { checkInvariants() }
        return ready.remove(at: index)
    }

    /// Takes `queue` off the ready list if it is there, looking from both ends inwards: a queue
    /// just listed sits at the back, the oldest (which a caller syncing queues in order claims)
    /// at the front; a search from one end made claiming the oldest of n listed queues O(n).
    mutating func unlist(_ queue: QueueCore) {
        defer { checkInvariants() }
        var front = ready.startIndex
        var back = ready.endIndex
        while front < back {
            back -= 1
            if ready[back] === queue {
                ready.remove(at: back)
                return
            }
            if front < back, ready[front] === queue {
                ready.remove(at: front)
                return
            }
            front += 1
        }
    }

    /// A worker asks for work: after finishing a turn if `finishedTurn`, after being woken from
    /// sleep if `woken`, for the first time if `firstAsk`.
    mutating func nextWork(finishedTurn: Bool, woken: Bool, firstAsk: Bool = false, parker: Parker) -> WorkerAction {
        defer { checkInvariants() }
        if finishedTurn { threadsBusy -= 1 }
        // Also woken to retire (`setMaxThreads`, `workerUnblocked`, `shutdown`): never below 0,
        // and a count that drops early only costs an extra wake-up.
        if woken, waking > 0 { waking -= 1 }
        if firstAsk { starting -= 1 }
        let drainFirst = shuttingDown && !ready.isEmpty
        if threadsAlive > threadLimit, !drainFirst {
            threadsAlive -= 1
            let exited = threadsAlive == 0 ? exitWaiters.take() : Parkers()
            // Ready queues (the one this thread relisted at the end of its turn, say) must not
            // be left to nobody. Idle threads are retired before busy ones, so one is rarely
            // there to wake; busy ones take the queue at the end of their turn.
            if !ready.isEmpty, waking == 0, let next = idle.popLast() {
                waking += 1
                return .retire(andWake: next, exited: exited)
            }
            return .retire(andWake: nil, exited: exited)
        }
        if let queue = ready.popFirst() {
            threadsBusy += 1
            // More queues wait: wake or start the next worker, unless one is on its way.
            return .run(queue, then: callAnotherThread())
        }
        idle.append(parker)
        return .sleep
    }

    /// A thread that `.startThread` asked for could not start. The ready queues stay listed: the
    /// threads that did start take them, and with none, a caller waiting on a queue runs it.
    /// Returns true for the pool's first failure (to warn once), and the callers of `shutdown`
    /// to wake if no thread is left.
    mutating func threadStartFailed() -> (first: Bool, exited: Parkers) {
        defer { checkInvariants() }
        threadsAlive -= 1
        starting -= 1
        threadStartFailures += 1
        return (threadStartFailures == 1, threadsAlive == 0 ? exitWaiters.take() : Parkers())
    }

    /// Returns the sleepers to wake (to retire) and how many threads to start.
    mutating func setMaxThreads(_ newValue: Int) -> (wake: [Parker], start: Int) {
        defer { checkInvariants() }
        if newValue < 0 { desyncFatal("desync: maxThreads must be 0 or more, not \(newValue)") }
        maxThreads = newValue
        shuttingDown = false
        if threadsAlive > threadLimit {
            let surplus = min(threadsAlive - threadLimit, idle.count)
            let woken = Array(idle.suffix(surplus))
            idle.removeLast(surplus)
            return (woken, 0)
        }
        let start = max(0, min(threadLimit - threadsAlive, ready.count - onTheWay))
        threadsAlive += start
        starting += start
        return ([], start)
    }

    /// Retires every thread once the ready queues are empty: `maxThreads` becomes 0, and threads
    /// run what is ready before leaving instead of sleeping. Returns the sleepers to wake (to
    /// retire, or to run what is ready first), and whether threads remain; if they do and
    /// `waiter` is given, it is unparked when the last one leaves.
    mutating func shutdown(waiter: Parker?) -> (wake: [Parker], threadsLeft: Bool) {
        defer { checkInvariants() }
        maxThreads = 0
        shuttingDown = true
        let woken = idle
        idle.removeAll()
        let threadsLeft = threadsAlive > 0
        if threadsLeft, let waiter { exitWaiters.append(waiter) }
        return (woken, threadsLeft)
    }

    /// A pool thread is about to block outside desync. Returns true when a thread must be started
    /// in its place: queues are waiting and no idle thread can take them.
    mutating func workerBlocked() -> Bool {
        defer { checkInvariants() }
        threadsBlocked += 1
        guard !ready.isEmpty, idle.isEmpty, threadsAlive < threadLimit else { return false }
        threadsAlive += 1
        starting += 1
        return true
    }

    /// A blocked pool thread carries on. Returns an idle thread to wake so it retires, when the
    /// pool is now above its limit (busy surplus threads retire when they finish their turn).
    mutating func workerUnblocked() -> Parker? {
        defer { checkInvariants() }
        threadsBlocked -= 1
        guard threadsAlive > threadLimit else { return nil }
        return idle.popLast()
    }

    /// The counts agree with each other. Checked after every transition in debug builds (tests);
    /// compiled out of release builds.
    func checkInvariants() {
        #if DEBUG
        precondition(maxThreads >= 0, "maxThreads \(maxThreads)")
        precondition(threadsBusy >= 0 && threadsBusy <= threadsAlive, "busy \(threadsBusy) of \(threadsAlive) alive")
        precondition(threadsBlocked >= 0 && threadsBlocked <= threadsBusy, "blocked \(threadsBlocked) of \(threadsBusy) busy")
        precondition(waking >= 0 && starting >= 0, "waking \(waking), starting \(starting)")
        // Every thread is either running a turn, asleep, or on its way to ask for work.
        precondition(threadsBusy + idle.count + starting <= threadsAlive,
                     "busy \(threadsBusy) + idle \(idle.count) + starting \(starting) > alive \(threadsAlive)")
        precondition(!shuttingDown || maxThreads == 0, "shutting down with maxThreads \(maxThreads)")
        precondition(exitWaiters.isEmpty || threadsAlive > 0, "shutdown waiters with no thread left")
        #endif
    }
}
