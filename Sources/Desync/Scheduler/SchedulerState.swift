import DequeModule

/// The pool's bookkeeping, as a value: transitions return the action to perform outside the lock.
struct SchedulerState: Sendable {
    enum ScheduleAction {
        case none
        case wake(Parker)
        case startThread
    }

    enum WorkerAction {
        case run(any DrivableQueue)
        case sleep
        case retire
    }

    private(set) var ready = Deque<any DrivableQueue>()
    private(set) var maxThreads: Int
    private(set) var threadsAlive = 0
    private(set) var threadsBusy = 0
    /// Idle workers' parkers, most recently idle last (it is woken first: its cache is warm).
    private var idle: [Parker] = []

    init(maxThreads: Int) {
        self.maxThreads = maxThreads
    }

    var threadsIdle: Int { idle.count }

    mutating func schedule(_ queue: any DrivableQueue) -> ScheduleAction {
        ready.append(queue)
        if let sleeper = idle.popLast() { return .wake(sleeper) }
        if threadsAlive < maxThreads {
            threadsAlive += 1
            return .startThread
        }
        return .none
    }

    /// A worker asks for work, after finishing a turn if `finishedTurn`.
    mutating func nextWork(finishedTurn: Bool, parker: Parker) -> WorkerAction {
        if finishedTurn { threadsBusy -= 1 }
        if threadsAlive > maxThreads {
            threadsAlive -= 1
            return .retire
        }
        if let queue = ready.popFirst() {
            threadsBusy += 1
            return .run(queue)
        }
        idle.append(parker)
        return .sleep
    }

    /// Returns the sleepers to wake (to retire) and how many threads to start.
    mutating func setMaxThreads(_ newValue: Int) -> (wake: [Parker], start: Int) {
        precondition(newValue >= 0, "desync: maxThreads must be 0 or more, not \(newValue)")
        maxThreads = newValue
        if threadsAlive > newValue {
            let surplus = min(threadsAlive - newValue, idle.count)
            let woken = Array(idle.suffix(surplus))
            idle.removeLast(surplus)
            return (woken, 0)
        }
        let start = min(newValue - threadsAlive, ready.count)
        threadsAlive += start
        return ([], start)
    }
}
