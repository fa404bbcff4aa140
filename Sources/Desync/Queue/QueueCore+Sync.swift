import Synchronization

extension QueueCore {
    // MARK: sync

    /// The start of a `sync` on an idle queue, without the lock: returns the caller's thread id
    /// when it now owns the queue (it must call `leaveInline` after its job), or 0 when the caller
    /// must take the slow path (jobs queued, someone running, tracing on, re-entrancy).
    /// Inlinable, with `leaveInline`, so that an uncontended `sync` makes no call but the job's.
    @inlinable
    final func enterInline() -> UInt {
        let me = ThreadID.current.raw
        // Tracing records every job, which the slow path does; an odd id cannot be encoded.
        guard me & 1 == 0, !tracer.isOn else { return 0 }
        return owner.compareExchange(expected: Self.ownerIdle, desired: me, ordering: .acquiring).exchanged ? me : 0
    }

    /// The end of a `sync` that `enterInline` let in.
    @inlinable
    final func leaveInline(_ me: UInt) {
        // Only the owner writes the count; counted before the queue is given up, so whoever sees
        // the job done sees it counted.
        inlineSyncs.store(inlineSyncs.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        if !owner.compareExchange(expected: me, desired: Self.ownerIdle, ordering: .releasing).exchanged {
            leaveAdopted()
        }
    }

    /// The lock adopted an inline `sync` (jobs or waiters arrived meanwhile): it leaves as the
    /// state's owner.
    @usableFromInline
    final func leaveAdopted() {
        finishRunning()
    }

    /// A `sync` or `trySync` that could not enter inline: when the queue is idle, it now owns it
    /// and gets the job's trace slot (see `finishSync`); nil when it must queue behind.
    @usableFromInline
    final func enterIdleSync() -> UInt64? {
        switch startSync() {
        case .queueBehind:
            return nil
        case .reentrant:
            desyncFatal(reentrancyMessage)
        case .runInline:
            return tracer.jobStarting(object: label, kind: .sync, queued: 0, onPoolThread: false)
        }
    }

    /// A `sync` caller sleeps (or runs the queue) until its job, behind others, has run.
    @usableFromInline
    final func waitForSync(_ completion: SyncCompletion) {
        _ = BlockingWait.wait(for: completion, driver: self)
    }

    /// Decides, under the lock, whether a `sync` that could not enter inline may run at once.
    final func startSync() -> QueueState.SyncStart {
        let me = ThreadID.current
        if owner.load(ordering: .relaxed) & ~1 == me.raw { return .reentrant }
        return transition { state in
            let start = state.startSync(on: me)
            if start == .runInline { inHand.store(1, ordering: .relaxed) }
            return start
        }
    }

    /// The end of a `sync` that `startSync` let run at once.
    @usableFromInline
    final func finishSync(traced: UInt64) {
        tracer.jobFinished(traced)
        scheduler.count(JobCounts(kind: .sync), onPoolThread: false)
        finishRunning()
    }
}
