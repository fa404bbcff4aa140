/// How a waiter drives an object's queue: the rules that make waits complete with 0 pool threads.
extension QueueCore: WaitDriver {
    /// A waiter without a deadline that finds the queue ready (jobs queued, nobody running them)
    /// claims it and runs its jobs until its target is reached, as `sync` does. A waiter with a
    /// deadline does so only when no pool thread would run them: a job it started runs to its end,
    /// which could outlast the deadline. A queue paused behind an `after` sends the waiter on to
    /// what it waits for; a queue another thread runs lets the waiter sleep until it changes hands.
    package func drive(toward target: any Waitable, limits: WaitLimits, parker: Parker) -> DriveStep {
        let me = ThreadID.current
        if owner.load(ordering: .relaxed) & ~1 == me.raw { return .deadlock(reentrancyMessage) }
        let mayClaim = limits.deadline == nil || !scheduler.runsQueuedWork
        let (step, listed) = transition { state in
            let step = state.waitStep(on: me, parker: parker, mayClaim: mayClaim)
            if case .drive = step { return (step, state.leaveReadyList()) }
            return (step, false)
        }
        if listed { scheduler.unlist(self) }
        switch step {
        case .reentrant:
            return .deadlock(reentrancyMessage)
        case .drive:
            var batch = JobList()
            drain(limit: .max, until: target, deadline: limits.deadline, stop: limits.stop, onPoolThread: false, batch: &batch)
            return .ran
        case .follow(let gate):
            return .follow(gate)
        case .sleep:
            return .sleep
        }
    }

    package var simulatingScheduler: Scheduler? {
        scheduler.isSimulated ? scheduler : nil
    }

    /// Runs the queue's jobs on the calling thread if nobody runs them: claims a ready queue and
    /// drains it (a turn's worth at most). False when it was idle, paused, or run by another
    /// thread. For a waiter that runs "any queued work" (the Lua runtime with 0 pool threads).
    final func runQueuedJobsHere() -> Bool {
        let me = ThreadID.current
        guard claimIfReady(on: me) else { return false }
        var batch = JobList()
        drain(limit: Self.turnLimit, until: nil, onPoolThread: false, batch: &batch)
        return true
    }

    /// Claims the queue for the calling thread (not a pool thread) if it is ready, and takes it
    /// off the ready list (`QueueState.leaveReadyList`).
    final func claimIfReady(on me: ThreadID) -> Bool {
        let (claimed, listed) = transition { state in
            state.claimIfReady(on: me) ? (true, state.leaveReadyList()) : (false, false)
        }
        if listed { scheduler.unlist(self) }
        return claimed
    }

    /// Registers `parker` to be woken at the queue's next change of phase; false when the queue is
    /// idle.
    final func addIdleWaiter(_ parker: Parker) -> Bool {
        transition { $0.addIdleWaiter(parker) }
    }
}

/// "This object has no work queued or running", as a target a waiter can reach. A waiter for it
/// only watches: it runs the queue only when no pool thread would (0 pool threads), and otherwise
/// sleeps until the queue changes hands, so the jobs run where they would have run anyway.
final class QueueDrained: Waitable, WaitDriver {
    private let queue: QueueCore

    init(_ queue: QueueCore) {
        self.queue = queue
    }

    var isDone: Bool { queue.pending == 0 }

    var driver: (any WaitDriver)? { self }

    var simulatingScheduler: Scheduler? { queue.simulatingScheduler }

    func drive(toward target: any Waitable, limits: WaitLimits, parker: Parker) -> DriveStep {
        if !queue.scheduler.runsQueuedWork { return queue.drive(toward: target, limits: limits, parker: parker) }
        return queue.addIdleWaiter(parker) ? .sleep : .ran
    }

    func addWaiter(_ parker: Parker) -> Bool {
        queue.addIdleWaiter(parker)
    }

    func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool {
        desyncFatal("desync: QueueDrained takes parkers only")
    }
}
