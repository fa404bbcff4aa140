extension QueueCore {
    /// A pool thread popped the queue from the ready list: claims it if nobody else did, and runs
    /// one turn. `batch` is the worker's scratch space, kept across turns so taking a batch does
    /// not allocate.
    final func runTurn(batch: inout JobList) {
        let me = ThreadID.current
        guard transition({ $0.claimForWorker(me) }) else { return }
        drain(limit: Self.turnLimit, until: nil, onPoolThread: true, batch: &batch)
    }

    /// Runs jobs as the queue's owner until `limit` jobs ran, `stop` opened, the queue emptied,
    /// or the next job must wait for a gate; then gives the queue up. Jobs are taken in batches
    /// of at most what the turn may still run (`QueueState.take`), so the lock is taken once per
    /// batch, not once per job; those not run (the waiting caller's own job came early, or a gate
    /// is closed) are given back to the front of the queue.
    ///
    /// Jobs run in place in the batch, and those that ran are destroyed together (64 at a time,
    /// before a job that hands back a result, and at the end of the batch) rather than one by
    /// one: destroying a job releases what it captured, and the thread that queues jobs retains
    /// the same things (the closure's allocation comes from the same malloc bins, a Lua job's
    /// object and function are the same objects), so one release per job moved those cache lines
    /// between the two cores for every job, where a burst moves them once per burst.
    ///
    /// `deadline`: a waiter with a deadline starts no job once it has passed; `stopCheck`: nor once
    /// it says stop (Ctrl-C).
    func drain(
        limit: Int, until stop: (any Waitable)?, deadline: ContinuousClock.Instant? = nil,
        stop stopCheck: (() -> Bool)? = nil, onPoolThread: Bool, batch: inout JobList
    ) {
        // Jobs run this turn and not yet added to the scheduler's totals; `turnLength` counts all of them.
        var counts = JobCounts()
        var turnLength = 0
        var mostTaken = 0
        let outerQueue = CurrentQueue.enter(self)
        defer {
            CurrentQueue.restore(outerQueue)
            scheduler.count(counts, onPoolThread: onPoolThread)
            // A job list does not shrink: let a big backlog's storage go rather than keep it.
            if mostTaken > Self.batchCapacityKept { batch = JobList() }
        }
        let tracer = self.tracer
        func mustStop() -> Bool {
            if let stop, stop.isDone { return true }
            if let deadline, scheduler.clock.now >= deadline { return true }
            if let stopCheck, stopCheck() { return true }
            return false
        }
        while turnLength < limit, !mustStop() {
            transition { state in
                state.take(upTo: limit - turnLength, into: &batch)
                inHand.store(batch.count, ordering: .relaxed)
            }
            mostTaken = max(mostTaken, batch.count)
            if batch.isEmpty { break }
            var ran = 0
            while ran < batch.count {
                if let gate = batch[ran].gate, !gate.isDone {
                    batch.removeFirst(ran)
                    suspend(givingBack: &batch, gate: gate)
                    return
                }
                // A burst is full, or the next job hands back a result (`sync`, `future`,
                // `after`, a pipe's item): it runs only once every job before it is gone, as if
                // each were destroyed right after it ran, so whoever sees that result sees
                // everything those jobs captured released.
                if ran == Self.ranJobsKept || (ran > 0 && batch[ran].kind != .async) {
                    batch.removeFirst(ran)
                    ran = 0
                }
                inHand.store(batch.count - ran, ordering: .relaxed)
                let resumes = batch[ran].resumes
                if resumes { scheduler.suspendedJobs.subtract(1, ordering: .relaxed) }
                let kind = batch[ran].kind
                let traced = tracer.jobStarting(
                    object: label, kind: kind, queued: batch[ran].queuedAt,
                    onPoolThread: onPoolThread, resumes: resumes)
                // A slice of a job that suspended before is not a new job.
                if resumes { counts.addSlice() } else { counts.add(kind) }
                turnLength += 1
                if kind != .async {
                    // Counted before it hands back its result, so whoever gets the result and
                    // reads `stats` sees this job and every one before it.
                    scheduler.count(counts, onPoolThread: onPoolThread)
                    counts = JobCounts()
                }
                batch[ran].run(on: valuePointer, queue: self)
                tracer.jobFinished(traced)
                ran += 1
                if let continuation = takeContinuation() {
                    // The job suspended: its rest goes first, and waits for its gate at the top
                    // of the loop (or runs at once if the gate is open already).
                    batch.removeFirst(ran)
                    batch.prepend(continuation)
                    ran = 0
                    inHand.store(batch.count, ordering: .relaxed)
                }
                if turnLength >= limit || mustStop() { break }
            }
            batch.removeFirst(ran)
            if !batch.isEmpty {
                // The turn is over, or the waiting caller's own job ran: the rest goes back for
                // the pool (or the next caller) to run.
                finishRunning(givingBack: &batch, onPoolThread: onPoolThread)
                return
            }
        }
        finishRunning(onPoolThread: onPoolThread)
    }

    /// The first job of `untaken` waits for `gate`: all of `untaken` goes back to the queue, which
    /// pauses until the gate opens.
    private func suspend(givingBack untaken: inout JobList, gate: any Waitable) {
        transition { state in
            state.giveBack(&untaken)
            state.suspend(on: gate)
            inHand.store(0, ordering: .relaxed)
        }
        // Registered after suspending, so an opening in between resumes a suspended queue.
        if !gate.onDone({ self.resume() }) {
            resume()
        }
    }

    private func resume() {
        perform(transition { $0.resume() })
    }

    /// Gives the queue up. `onPoolThread`: the caller is a pool thread at the end of its turn,
    /// which asks the scheduler for work right after (see `perform`).
    final func finishRunning(onPoolThread: Bool = false) {
        // A `sync` that ran inline and suspended leaves its rest at the head of the queue.
        let continuation = takeContinuation()
        perform(transition { state in
            if let continuation { state.putFirst(continuation) }
            inHand.store(0, ordering: .relaxed)
            return state.release()
        }, byWorkerBetweenTurns: onPoolThread)
    }

    private func finishRunning(givingBack untaken: inout JobList, onPoolThread: Bool) {
        perform(transition { state in
            state.giveBack(&untaken)
            inHand.store(0, ordering: .relaxed)
            return state.release()
        }, byWorkerBetweenTurns: onPoolThread)
    }

    /// Wakes the waiters and lists the queue if it must be. A pool thread that ends its turn
    /// with jobs left lists the queue without waking anyone: it asks for work next, and takes the
    /// first ready queue itself (waking another thread then if more wait). Waking an idle
    /// thread for it instead cost a wake-up and a sleep every turn (1M jobs on one object: 8,600
    /// context switches), and moved the object from thread to thread when the woken one won.
    func perform(_ release: QueueState.Release, byWorkerBetweenTurns: Bool = false) {
        release.waiters.unparkAll()
        guard release.schedule else { return }
        if byWorkerBetweenTurns {
            scheduler.relist(self)
        } else {
            scheduler.schedule(self)
        }
    }

    /// What a `sync` or a wait on this object from inside one of its own jobs stops the program
    /// with.
    var reentrancyMessage: String {
        "desync: sync or wait on \(label) from inside one of its own jobs would wait forever"
    }

    /// A job that hands back a result is done: it no longer counts as pending, so whoever gets the
    /// result and asks `pending` next does not count it. Called by the owner, from the job.
    func jobFinishing() {
        inHand.store(max(0, inHand.load(ordering: .relaxed) - 1), ordering: .relaxed)
    }
}
