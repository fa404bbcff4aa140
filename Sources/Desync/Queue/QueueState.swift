/// The state of one object's queue, as a value: each transition returns what the caller must do
/// once the lock is released (schedule the queue, wake waiters), so nothing but bookkeeping happens
/// under the lock. Noncopyable, as its jobs are: they are only ever moved.
struct QueueState: ~Copyable, Sendable {
    enum Phase: Equatable, Sendable {
        /// No jobs, nobody running.
        case idle
        /// Jobs waiting and nobody running them: a pool thread, or any waiting caller, may claim it.
        case ready
        /// One thread owns the queue and runs its jobs.
        case running(ThreadID)
        /// The first job waits for a gate (`after`); no thread is held.
        case suspended
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
        /// The queue waits for another object's future: help that one along (it may have no
        /// thread either), then look again.
        case help(any Gate)
        /// Someone else runs it (or it waits on a gate): sleep until woken.
        case sleep
        /// This thread runs the queue already: waiting would deadlock.
        case reentrant
    }

    private var jobs = JobList()
    private(set) var phase = Phase.idle
    /// The owner is a `sync` that entered through `QueueCore`'s owner word, without the lock, and
    /// was adopted (`adoptInlineOwner`) because someone needed the queue meanwhile: it must leave
    /// through the lock.
    private(set) var ownerEnteredInline = false
    /// Whether the queue sits on the scheduler's ready list. Kept apart from `phase` because a
    /// waiting caller may claim a queue that is still listed; the worker that pops it then finds
    /// it taken and skips it, and the caller does not list it twice when it hands it back.
    private var onReadyList = false
    /// Threads sleeping until this queue's phase changes, so they can claim it.
    private var waiters = Parkers()
    /// What a suspended queue waits for.
    private var suspendedOn: (any Gate)?

    /// Jobs queued and not taken by the owner (`QueueCore.pending` adds those in the owner's hand).
    var queued: Int { jobs.count }
    /// Jobs ever queued: only grows, so two equal readings mean nothing was queued in between.
    private(set) var submitted = 0

    func isRunning(on thread: ThreadID) -> Bool { phase == .running(thread) }

    /// Queues a job. A queue that was idle becomes ready: it goes on the ready list, and threads
    /// waiting on it are woken to claim it (with 0 pool threads nobody else would run it).
    mutating func submit(_ job: consuming Job) -> Release {
        jobs.append(job)
        submitted &+= 1
        guard phase == .idle else { return Release() }
        phase = .ready
        return Release(waiters: takeWaiters(), schedule: listIfNeeded())
    }

    /// A `sync` or `trySync` arriving from `thread`.
    mutating func startSync(on thread: ThreadID) -> SyncStart {
        switch phase {
        case .idle:
            phase = .running(thread)
            return .runInline
        case .running(let owner) where owner == thread:
            return .reentrant
        case .ready, .running, .suspended:
            return .queueBehind
        }
    }

    /// A thread that waits for one of this queue's jobs decides whether to run it or sleep.
    mutating func waitStep(on thread: ThreadID, parker: Parker) -> WaitStep {
        switch phase {
        case .ready:
            phase = .running(thread)
            return .drive
        case .running(let owner) where owner == thread:
            return .reentrant
        case .suspended:
            if let suspendedOn { return .help(suspendedOn) }
            waiters.append(parker)
            return .sleep
        case .idle, .running:
            waiters.append(parker)
            return .sleep
        }
    }

    /// A pool thread popped this queue from the ready list.
    mutating func claimForWorker(_ thread: ThreadID) -> Bool {
        onReadyList = false
        guard phase == .ready else { return false }
        phase = .running(thread)
        return true
    }

    /// A `sync` that entered without the lock (through the owner word) runs on `thread`: the lock
    /// takes it for the owner, so that jobs queue behind it and waiters sleep until it leaves.
    mutating func adoptInlineOwner(_ thread: ThreadID) {
        precondition(phase == .idle, "desync: an inline sync on a queue that is not idle")
        phase = .running(thread)
        ownerEnteredInline = true
    }

    /// The owner takes up to `limit` queued jobs, oldest first. Taking them all is a swap of the
    /// empty `batch` with `jobs` (constant time under the lock however many wait, and `jobs` gets
    /// the batch's storage back for the next submissions); a partial take moves `limit` jobs, so
    /// a turn never takes more than it may run and has nothing to give back.
    mutating func take(upTo limit: Int, into batch: inout JobList) {
        precondition(batch.isEmpty, "desync: taking jobs into a batch that is not empty")
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

    /// The owner found the first queued job's gate closed (it gave that job back, first): the
    /// queue waits, holding no thread. Waiters keep sleeping until `resume`.
    mutating func suspend(on gate: any Gate) {
        precondition(!jobs.isEmpty, "desync: suspending a queue with no job to wait")
        phase = .suspended
        suspendedOn = gate
    }

    /// The gate of a suspended queue opened.
    mutating func resume() -> Release {
        precondition(phase == .suspended, "desync: resuming a queue that is not suspended")
        phase = .ready
        suspendedOn = nil
        return Release(waiters: takeWaiters(), schedule: listIfNeeded())
    }

    /// The owner stops running the queue; what is left goes back to the ready list.
    mutating func release() -> Release {
        ownerEnteredInline = false
        let woken = takeWaiters()
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

    private mutating func takeWaiters() -> Parkers {
        waiters.take()
    }
}
