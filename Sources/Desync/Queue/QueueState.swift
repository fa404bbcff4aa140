/// The state of one object's queue, as a value: each transition returns what the caller must do
/// once the lock is released (schedule the queue, wake waiters), so nothing but bookkeeping happens
/// under the lock. Noncopyable, as its jobs are: they are only ever moved.
struct QueueState: ~Copyable, Sendable {
    enum Phase: Sendable {
        /// No jobs, nobody running.
        case idle
        /// Jobs waiting and nobody running them: a pool thread, or any waiting caller, may claim it.
        case ready
        /// One thread owns the queue and runs its jobs. `enteredInline`: the owner is a `sync` that
        /// entered through `QueueCore`'s owner word, without the lock, and was adopted
        /// (`adoptInlineOwner`) because someone needed the queue meanwhile: it must leave through
        /// the lock.
        case running(ThreadID, enteredInline: Bool)
        /// The first job waits for `gate` (`after`); no thread is held.
        case suspended(on: any Waitable)

        var isIdle: Bool {
            if case .idle = self { true } else { false }
        }

        var isReady: Bool {
            if case .ready = self { true } else { false }
        }

        func isRunning(on thread: ThreadID) -> Bool {
            if case .running(let owner, _) = self { owner == thread } else { false }
        }
    }

    /// What the thread that stops running the queue must do outside the lock.
    struct Release {
        var waiters = Parkers()
        /// Put the queue on the scheduler's ready list.
        var schedule = false
    }

    enum SyncStart: Equatable {
        /// The queue was idle: run the job on this thread at once.
        case runInline
        /// The caller is already running this queue: waiting would deadlock.
        case reentrant
        /// Jobs are queued or another thread runs them.
        case queueBehind
    }

    enum WaitStep {
        /// Nobody runs the queue: this thread now owns it and runs it.
        case drive
        /// The queue waits for another object's future: drive that one (it may have no thread
        /// either), then look again.
        case follow(any Waitable)
        /// Someone else runs it, or this waiter may not: sleep until the phase changes.
        case sleep
        /// This thread runs the queue already: waiting would deadlock.
        case reentrant
    }

    private var jobs = JobList()
    private(set) var phase = Phase.idle
    /// Whether the queue sits on the scheduler's ready list. Kept apart from `phase` because a
    /// waiting caller may claim a queue that is still listed; the worker that pops it then finds
    /// it taken and skips it, and the caller does not list it twice when it hands it back.
    private var onReadyList = false
    /// Threads sleeping until this queue's phase changes, so they can claim it.
    private var waiters = Parkers()

    /// Jobs queued and not taken by the owner (`QueueCore.pending` adds those in the owner's hand).
    var queued: Int { jobs.count }
    /// Jobs ever queued: only grows, so two equal readings mean nothing was queued in between.
    private(set) var submitted = 0

    func isRunning(on thread: ThreadID) -> Bool { phase.isRunning(on: thread) }

    /// Queues a job. A queue that was idle becomes ready: it goes on the ready list, and threads
    /// waiting on it are woken to claim it (with 0 pool threads nobody else would run it).
    mutating func submit(_ job: consuming Job) -> Release {
        defer { checkInvariants() }
        jobs.append(job)
        submitted &+= 1
        guard phase.isIdle else { return Release() }
        phase = .ready
        return Release(waiters: waiters.take(), schedule: listIfNeeded())
    }

    /// A `sync` or `trySync` arriving from `thread`.
    mutating func startSync(on thread: ThreadID) -> SyncStart {
        defer { checkInvariants() }
        switch phase {
        case .idle:
            phase = .running(thread, enteredInline: false)
            return .runInline
        case .running(let owner, _) where owner == thread:
            return .reentrant
        case .ready, .running, .suspended:
            return .queueBehind
        }
    }

    /// A thread that waits for one of this queue's jobs decides whether to run the queue or sleep.
    /// `mayClaim`: it may run the queue itself (a timed wait while pool threads can run it may not:
    /// a job it started could outlast its deadline).
    mutating func waitStep(on thread: ThreadID, parker: Parker, mayClaim: Bool) -> WaitStep {
        defer { checkInvariants() }
        switch phase {
        case .ready where mayClaim:
            phase = .running(thread, enteredInline: false)
            return .drive
        case .running(let owner, _) where owner == thread:
            return .reentrant
        case .suspended(let gate):
            return .follow(gate)
        case .idle, .ready, .running:
            waiters.appendOnce(parker)
            return .sleep
        }
    }

    /// Registers `parker` to be woken at the queue's next change of phase; false, without
    /// registering, when the queue is idle (a waiter for "drained" has nothing to wait for).
    mutating func addIdleWaiter(_ parker: Parker) -> Bool {
        if phase.isIdle { return false }
        waiters.appendOnce(parker)
        return true
    }

    /// A pool thread popped this queue from the ready list.
    mutating func claimForWorker(_ thread: ThreadID) -> Bool {
        defer { checkInvariants() }
        onReadyList = false
        guard phase.isReady else { return false }
        phase = .running(thread, enteredInline: false)
        return true
    }

    /// What a simulation's pick finds the queue to be.
    enum SimulationLook {
        /// Ready, its first job free to run.
        case ready
        /// Ready, but its first job waits for a gate (a job that suspended gave the queue up):
        /// running it would only suspend the queue.
        case gated
        /// Not ready (idle, run, or suspended): taken off the ready list (the caller removes
        /// it); it is listed again when it becomes ready.
        case notReady
    }

    /// Looks at the queue for a simulation's pick.
    mutating func lookForSimulation() -> SimulationLook {
        guard phase.isReady else {
            onReadyList = false
            return .notReady
        }
        if !jobs.isEmpty, let gate = jobs[0].gate, !gate.isDone { return .gated }
        return .ready
    }

    /// The caller that claimed the queue takes it off the ready list: true when it was there (the
    /// caller then removes it from the scheduler's list). Left listed, a queue run by waiting
    /// callers stayed on the list, and its object alive, until a pool thread popped it: with 0
    /// pool threads, never.
    mutating func leaveReadyList() -> Bool {
        defer { onReadyList = false }
        return onReadyList
    }

    /// A thread that is not a pool thread claims the queue if it is ready.
    mutating func claimIfReady(on thread: ThreadID) -> Bool {
        defer { checkInvariants() }
        guard phase.isReady else { return false }
        phase = .running(thread, enteredInline: false)
        return true
    }

    /// A `sync` that entered without the lock (through the owner word) runs on `thread`: the lock
    /// takes it for the owner, so that jobs queue behind it and waiters sleep until it leaves.
    mutating func adoptInlineOwner(_ thread: ThreadID) {
        defer { checkInvariants() }
        guard phase.isIdle else { desyncFatal("desync: an inline sync on a queue that is not idle") }
        phase = .running(thread, enteredInline: true)
    }

    /// The owner takes up to `limit` queued jobs, oldest first. Taking them all is a swap of the
    /// empty `batch` with `jobs` (constant time under the lock however many wait, and `jobs` gets
    /// the batch's storage back for the next submissions); a partial take moves `limit` jobs, so
    /// a turn never takes more than it may run and has nothing to give back.
    mutating func take(upTo limit: Int, into batch: inout JobList) {
        guard batch.isEmpty else { desyncFatal("desync: taking jobs into a batch that is not empty") }
        if jobs.count <= limit {
            swap(&jobs, &batch)
            return
        }
        for _ in 0..<limit {
            batch.append(jobs.removeFirst())
        }
    }

    /// The owner gives back jobs it took and did not run; they go back to the front, in order.
    /// Jobs are moved, never copied, and only the shorter side moves: a long backlog given back
    /// behind a few new submissions costs as much as those few.
    mutating func giveBack(_ untaken: inout JobList) {
        if untaken.count <= jobs.count {
            while let job = untaken.popLast() { jobs.prepend(job) }
        } else {
            while let job = jobs.popFirst() { untaken.append(job) }
            swap(&jobs, &untaken)
        }
    }

    /// The owner puts a suspended job's rest at the head of the queue (it gives the queue up
    /// next: `release`).
    mutating func putFirst(_ job: consuming Job) {
        jobs.prepend(job)
    }

    /// The owner found the first queued job's gate closed (it gave that job back, first): the
    /// queue waits, holding no thread. Waiters keep sleeping until `resume`.
    mutating func suspend(on gate: any Waitable) {
        defer { checkInvariants() }
        guard !jobs.isEmpty else { desyncFatal("desync: suspending a queue with no job to wait") }
        phase = .suspended(on: gate)
    }

    /// The gate of a suspended queue opened.
    mutating func resume() -> Release {
        defer { checkInvariants() }
        guard case .suspended = phase else { desyncFatal("desync: resuming a queue that is not suspended") }
        phase = .ready
        return Release(waiters: waiters.take(), schedule: listIfNeeded())
    }

    /// The owner stops running the queue; what is left goes back to the ready list.
    mutating func release() -> Release {
        defer { checkInvariants() }
        let woken = waiters.take()
        if jobs.isEmpty {
            phase = .idle
            return Release(waiters: woken)
        }
        phase = .ready
        return Release(waiters: woken, schedule: listIfNeeded())
    }

    private mutating func listIfNeeded() -> Bool {
        if onReadyList { return false }
        onReadyList = true
        return true
    }

    /// The rules every transition keeps (debug builds only): an idle queue has no jobs; a ready or
    /// suspended one has some.
    func checkInvariants() {
        #if DEBUG
        switch phase {
        case .idle:
            precondition(jobs.isEmpty, "desync: an idle queue has jobs")
        case .ready:
            precondition(!jobs.isEmpty, "desync: a ready queue has no jobs")
        case .suspended:
            precondition(!jobs.isEmpty, "desync: a suspended queue has no job to wait")
        case .running:
            break
        }
        #endif
    }
}
