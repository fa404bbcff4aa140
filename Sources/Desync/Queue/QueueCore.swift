import Synchronization

/// The machinery behind a ``Desync``, whatever its value type: its jobs, and the rules for who
/// runs them. Not generic on purpose: generic code that the compiler does not specialise looks up
/// type metadata at run time on every call, which cost more than a small job. Only
/// ``JobQueue``, its subclass, knows the value's type; jobs reach the value through a raw pointer.
@usableFromInline
package class QueueCore: @unchecked Sendable {
    // @unchecked: the value behind `valuePointer`, and `inHand`'s writes, belong to the thread
    // that owns the queue: the one whose `QueueState.phase` is `.running(thatThread)`, or whose id
    // is in `owner`. Ownership is taken and given back under `state`'s lock or by atomic
    // compare-and-exchange on `owner` (acquiring to take, releasing to give back), either of which
    // orders every access to the value. Everything else is behind the lock or atomic.

    /// The encoding of `owner`, the word that lets an uncontended `sync` run without the lock.
    @usableFromInline static var ownerIdle: UInt { 0 }
    /// The lock's state is not idle (jobs queued, running, suspended): the word stays out of it.
    @usableFromInline static var ownerBusy: UInt { 1 }
    // Any other value is the id of a thread running a `sync` that entered without the lock (a
    // `ThreadID`, always even); with the low bit set, the lock has adopted it
    // (`QueueState.adoptInlineOwner`) and it must leave through the lock.

    /// Only two moves happen without the lock: idle -> thread id (a `sync` enters) and thread id
    /// -> idle (it leaves). Under the lock, before every transition, the word is settled
    /// (`settle`): idle becomes busy, or an inline thread is adopted; after it the word is
    /// published from the state (`publish`). So while the lock's state is not idle, neither move
    /// can succeed, and the state machine alone decides.
    @usableFromInline let owner = Atomic<UInt>(0)
    /// Jobs the owner has taken in a batch and not finished, the running one included. Written
    /// only by the owner (the lock orders the writes made while taking or giving back a batch);
    /// read by `pending`.
    let inHand = Atomic<Int>(0)
    let state = AdaptiveLockedValue(QueueState())
    let scheduler: Scheduler
    /// The scheduler's tracer, kept here so the `sync` fast path finds it with one load.
    @usableFromInline let tracer: Tracer
    /// `sync` jobs run inline without the lock, for `SchedulerStats`. Written only by the owner
    /// (a relaxed load and store, no locked instruction); summed by the scheduler's `InlineSyncs`.
    @usableFromInline let inlineSyncs = Atomic<Int>(0)
    /// The object's name in traces and statistics.
    let label: String
    /// The value, allocated by the subclass, which owns it.
    let valuePointer: UnsafeMutableRawPointer
    /// The rest of the running job, when it suspended (`suspendRunningJob`). Touched only by the
    /// queue's owner, like the value; unchecked exclusivity because the ownership rules order it.
    @exclusivity(unchecked) var heldContinuation: Job?

    /// How many jobs a pool thread runs before putting the queue back at the tail of the ready
    /// list, so a queue fed faster than it drains cannot starve the others.
    static var turnLimit: Int { 256 }
    /// Jobs that ran stay in the batch, to be destroyed together, up to this many (see `drain`):
    /// enough for a burst, few enough that what a job captured is not held long after it ran.
    static var ranJobsKept: Int { 64 }
    /// A worker keeps its batch's storage from turn to turn, unless it grew beyond this.
    static var batchCapacityKept: Int { 4096 }

    init(valuePointer: UnsafeMutableRawPointer, label: String, scheduler: Scheduler) {
        self.valuePointer = valuePointer
        self.label = label
        self.scheduler = scheduler
        self.tracer = scheduler.tracing
        scheduler.inlineSyncs.register(self)
    }

    deinit {
        scheduler.inlineSyncs.retire(self)
    }

    // MARK: The lock

    /// Runs a transition under the lock, with `owner` settled first and published after.
    func transition<R>(_ body: (inout QueueState) -> R) -> R {
        state.withLockedValue { state in
            settle(&state)
            let result = body(&state)
            publish(state)
            return result
        }
    }

    /// Makes the lock's state the whole truth: an idle word becomes busy (no `sync` enters
    /// without the lock meanwhile), and an inline `sync` becomes the state's owner.
    func settle(_ state: inout QueueState) {
        guard state.phase.isIdle else { return }
        while true {
            let word = owner.load(ordering: .relaxed)
            if word == Self.ownerIdle {
                // Acquiring: this thread may own the queue next, after the last inline `sync`.
                if owner.compareExchange(expected: word, desired: Self.ownerBusy, ordering: .acquiring).exchanged {
                    return
                }
            } else if owner.compareExchange(expected: word, desired: word | 1, ordering: .relaxed).exchanged {
                state.adoptInlineOwner(ThreadID(raw: word))
                return
            }
            // The inline `sync` entered or left meanwhile: look again.
        }
    }

    /// Sets `owner` from the state: idle lets a `sync` enter without the lock again.
    func publish(_ state: borrowing QueueState) {
        let word: UInt
        switch state.phase {
        case .idle: word = Self.ownerIdle
        case .running(let thread, enteredInline: true): word = thread.raw | 1
        case .ready, .running, .suspended: word = Self.ownerBusy
        }
        // Releasing: the value's last writes happen before the next inline `sync` enters.
        owner.store(word, ordering: .releasing)
    }

    // MARK: Reading

    var pending: Int {
        activity.pending
    }

    /// `pending`, and a count that grows with every job queued and every `sync` run inline, read
    /// together: see ``Desync/activity``.
    var activity: (pending: Int, changes: Int) {
        state.withLockedValue { state in
            let inlineSync = owner.load(ordering: .relaxed) > Self.ownerBusy ? 1 : 0
            let pending = state.queued + inHand.load(ordering: .relaxed) + inlineSync
            return (pending, state.submitted &+ inlineSyncs.load(ordering: .relaxed))
        }
    }

    /// Jobs queued and nobody running them (the phase `ready`).
    var isWaitingForThread: Bool {
        state.withLockedValue { $0.phase.isReady }
    }

    var isRunningOnCurrentThread: Bool {
        let me = ThreadID.current
        if owner.load(ordering: .relaxed) & ~1 == me.raw { return true }
        return state.withLockedValue { $0.isRunning(on: me) }
    }

    // MARK: Queuing

    /// Queues a job whose body is for this queue's value type: only `JobQueue.submit`, which
    /// checks that type, calls it.
    @usableFromInline
    final func submitJob(_ job: consuming Job) {
        job.queuedAt = tracer.stamp()
        // `transition` without its closure, so that the job is moved into the queue: a closure
        // could only copy it (an existential copy and a retain), or move it through an
        // `Optional`, which is then destroyed through run-time value witnesses (~170
        // instructions a job, callgrind). Nothing between lock and unlock can throw or return.
        let locked = state.lock()
        settle(&locked.pointee)
        let release = locked.pointee.submit(job)
        publish(locked.pointee)
        state.unlock()
        perform(release)
    }
}
