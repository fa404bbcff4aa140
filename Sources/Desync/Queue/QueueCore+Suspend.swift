extension QueueCore {
    /// Called from inside the job that runs now, by that job: when its body returns, the job is
    /// not over. `continuation` (the rest of the job) takes its place at the head of the queue and
    /// runs once `gate` opens; until then the queue holds no thread, and jobs queued later wait
    /// behind it, so the object's order is kept (Rust desync's `future_desync`).
    ///
    /// The continuation runs on whichever thread takes the queue next: a pool thread, or a caller
    /// that waits on the object and drives it (0 pool threads). A job may suspend again from its
    /// continuation.
    package func suspendRunningJob(until gate: any Waitable, kind: JobKind, continuation: any JobBody) {
        var job = Job(gate: gate, kind: kind, body: continuation)
        job.resumes = true
        job.queuedAt = tracer.stamp()
        guard heldContinuation == nil else {
            desyncFatal("desync: a job suspended twice before it returned")
        }
        heldContinuation = job
        scheduler.suspendedJobs.add(1, ordering: .relaxed)
        // An inline `sync` that suspends must leave through the lock, where the continuation is
        // queued: mark it adopted, as the lock does when jobs arrive meanwhile.
        let word = owner.load(ordering: .relaxed)
        if word > Self.ownerBusy, word & 1 == 0 {
            transition { _ in }
        }
    }

    /// The continuation a job left when it suspended, if it did; taken by the queue's owner right
    /// after the job's body returned.
    func takeContinuation() -> Job? {
        guard heldContinuation != nil else { return nil }
        return heldContinuation.take()
    }
}
