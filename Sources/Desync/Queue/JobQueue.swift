import Synchronization

/// The machinery behind a ``Desync``, whatever its value type: its jobs, and the rules for who
/// runs them. Not generic on purpose: generic code that the compiler does not specialise looks up
/// type metadata at run time on every call, which cost more than a small job. Only
/// ``JobQueue``, its subclass, knows the value's type; jobs reach the value through a raw pointer.
@usableFromInline
class QueueCore: DrivableQueue, @unchecked Sendable {
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
    private let inHand = Atomic<Int>(0)
    private let state = AdaptiveLockedValue(QueueState())
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
    private func transition<R>(_ body: (inout QueueState) -> R) -> R {
        state.withLockedValue { state in
            settle(&state)
            let result = body(&state)
            publish(state)
            return result
        }
    }

    /// Makes the lock's state the whole truth: an idle word becomes busy (no `sync` enters
    /// without the lock meanwhile), and an inline `sync` becomes the state's owner.
    private func settle(_ state: inout QueueState) {
        guard state.phase == .idle else { return }
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
    private func publish(_ state: borrowing QueueState) {
        let word: UInt
        switch state.phase {
        case .idle: word = Self.ownerIdle
        case .running(let thread) where state.ownerEnteredInline: word = thread.raw | 1
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

    var isRunningOnCurrentThread: Bool {
        let me = ThreadID.current
        if owner.load(ordering: .relaxed) & ~1 == me.raw { return true }
        return state.withLockedValue { $0.isRunning(on: me) }
    }

    // MARK: Queuing

    @usableFromInline
    final func submit(_ job: consuming Job) {
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
    /// and gets the job's trace start (see `finishSync`); nil when it must queue behind.
    @usableFromInline
    final func enterIdleSync() -> UInt64? {
        switch startSync() {
        case .queueBehind:
            return nil
        case .reentrant:
            desyncFatal(Self.reentrancyMessage(label))
        case .runInline:
            return tracer.jobStarting()
        }
    }

    /// A `sync` caller sleeps (or runs the queue) until its job, behind others, has run.
    @usableFromInline
    final func waitForSync(_ completion: SyncCompletion) {
        wait(for: completion, until: nil)
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
    final func finishSync(started: UInt64) {
        if started != 0 {
            tracer.record(object: label, kind: .sync, queued: started, started: started, onPoolThread: false)
        }
        scheduler.count(JobCounts(kind: .sync), onPoolThread: false)
        finishRunning()
    }

    // MARK: Running

    @discardableResult
    func wait(for gate: any Gate, until deadline: ContinuousClock.Instant?) -> Bool {
        let me = ThreadID.current
        let parker = ThreadParker.current
        while !gate.isDone {
            if owner.load(ordering: .relaxed) & ~1 == me.raw {
                desyncFatal(Self.reentrancyMessage(label))
            }
            switch transition({ $0.waitStep(on: me, parker: parker) }) {
            case .reentrant:
                desyncFatal(Self.reentrancyMessage(label))
            case .drive:
                var batch = JobList()
                drain(limit: .max, until: gate, onPoolThread: false, batch: &batch)
            case .help(let blocker):
                if !blocker.help(until: deadline) { return gate.isDone }
            case .sleep:
                guard gate.addWaiter(parker) else { continue }
                if let deadline {
                    if !parker.park(until: deadline) { return gate.isDone }
                } else {
                    parker.park()
                }
            }
        }
        return true
    }

    func runTurnOnWorker() {
        var batch = JobList()
        runTurn(batch: &batch)
    }

    /// A pool thread popped the queue from the ready list: claims it if nobody else did, and runs
    /// one turn. `batch` is the worker's scratch space, kept across turns so taking a batch does
    /// not allocate.
    final func runTurn(batch: inout JobList) {
        let me = ThreadID.current
        guard transition({ $0.claimForWorker(me) }) else { return }
        drain(limit: Self.turnLimit, until: nil, onPoolThread: true, batch: &batch)
    }

    /// Runs jobs as the queue's owner until `limit` jobs ran, `gate` opened, the queue emptied,
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
    private func drain(limit: Int, until stop: (any Gate)?, onPoolThread: Bool, batch: inout JobList) {
        var counts = JobCounts()
        var mostTaken = 0
        defer {
            scheduler.count(counts, onPoolThread: onPoolThread)
            // A job list does not shrink: let a big backlog's storage go rather than keep it.
            if mostTaken > Self.batchCapacityKept { batch = JobList() }
        }
        let tracer = self.tracer
        while counts.total < limit, !(stop?.isDone ?? false) {
            transition { state in
                state.take(upTo: limit - counts.total, into: &batch)
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
                let started = tracer.jobStarting()
                batch[ran].run(on: valuePointer)
                let kind = batch[ran].kind
                if started != 0 {
                    tracer.record(object: label, kind: kind, queued: batch[ran].queuedAt, started: started, onPoolThread: onPoolThread)
                }
                counts.add(kind)
                ran += 1
                if counts.total >= limit || (stop?.isDone ?? false) { break }
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
    private func suspend(givingBack untaken: inout JobList, gate: any Gate) {
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
        perform(transition { state in
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
    private func perform(_ release: QueueState.Release, byWorkerBetweenTurns: Bool = false) {
        release.waiters.unparkAll()
        guard release.schedule else { return }
        if byWorkerBetweenTurns {
            scheduler.relist(self)
        } else {
            scheduler.schedule(self)
        }
    }

    static func reentrancyMessage(_ label: String) -> String {
        "desync: sync or wait on \(label) from inside one of its own jobs would wait forever"
    }
}

/// The storage behind a ``Desync``: its value, and through ``QueueCore`` its jobs.
@usableFromInline
final class JobQueue<T>: QueueCore, @unchecked Sendable {
    // @unchecked: `value` is touched only by the queue's owner; see `QueueCore`.
    @usableFromInline let value: UnsafeMutablePointer<T>

    init(value: consuming sending T, label: String, scheduler: Scheduler) {
        // A buffer of its own (never shared with other fields), so ThreadSanitizer does not take
        // accesses to the value for accesses to the queue's bookkeeping, even when `T` is empty.
        let pointer = UnsafeMutableRawPointer.allocate(
            byteCount: max(MemoryLayout<T>.size, 1), alignment: MemoryLayout<T>.alignment)
        self.value = pointer.initializeMemory(as: T.self, to: value)
        super.init(valuePointer: pointer, label: label, scheduler: scheduler)
    }

    deinit {
        // Every job holds the queue (through the scheduler, a gate's callback, or a waiting
        // caller) until it has run, so none is left.
        value.deinitialize(count: 1)
        UnsafeMutableRawPointer(value).deallocate()
    }

    /// `sync` or `trySync` when the caller could not enter without the lock: runs `job` at once
    /// if the queue is idle, else returns nil.
    ///
    /// Inlinable, as the rest of the slow path, so that the caller specialises it: unspecialised,
    /// each generic type it makes (the optional result, the handoff, the job's box) was looked up
    /// at run time, about half of the 11,000 instructions of an `async` + busy `sync` pair
    /// (callgrind, 0 threads).
    @inlinable
    func runIfIdle<R, E: Error>(_ job: (inout T) throws(E) -> R) throws(E) -> R? {
        guard let started = enterIdleSync() else { return nil }
        defer { finishSync(started: started) }
        return try job(&value.pointee)
    }

    /// The slow path of `sync`: at once if the queue turned out idle, else behind its jobs.
    @inlinable
    func syncSlow<R, E: Error>(_ job: (inout T) throws(E) -> R) throws(E) -> R {
        if let result = try runIfIdle(job) { return result }
        return try runBehindQueue(job)
    }

    /// The slow path of `trySync`: nil when the queue is busy.
    @inlinable
    func trySyncSlow<R, E: Error>(_ job: (inout T) throws(E) -> R) throws(E) -> R? {
        try runIfIdle(job)
    }

    /// `sync` when the queue is busy: the job goes behind the others, and this thread either
    /// runs the queue up to it or sleeps until someone else has.
    @inlinable
    func runBehindQueue<R, E: Error>(_ job: (inout T) throws(E) -> R) throws(E) -> R {
        try withoutActuallyEscaping(job) { (escapable) throws(E) -> R in
            let handoff = SyncHandoff(escapable)
            let completion = SyncCompletion()
            submit(Job(kind: .sync, body: ClosureJob { (value: inout T) in
                handoff.run(&value)
                completion.open()
            }))
            waitForSync(completion)
            return try handoff.outcome.get()
        }
    }
}

/// Carries a `sync` job, which is not `Sendable`, to the thread that runs it, and its outcome back.
@usableFromInline
final class SyncHandoff<T, R, E: Error>: @unchecked Sendable {
    // @unchecked: the caller of `sync` sleeps from `submit` until the job's completion opens, so
    // the job and its captures are used by exactly one thread at a time, and `outcome` is written
    // before the completion's lock is released and read after it is taken.
    // Unchecked exclusivity, for the same reason: the run-time check cost 124 instructions a
    // `sync` (callgrind).
    @usableFromInline @exclusivity(unchecked) var job: ((inout T) throws(E) -> R)?
    @usableFromInline @exclusivity(unchecked) var stored: Result<R, E>?

    @inlinable
    init(_ job: @escaping (inout T) throws(E) -> R) { self.job = job }

    @inlinable
    func run(_ value: inout T) {
        // Let go of the job before the caller wakes: it must not outlive `sync`.
        let job = self.job.take()!
        do throws(E) {
            stored = .success(try job(&value))
        } catch {
            stored = .failure(error)
        }
    }

    @inlinable
    var outcome: Result<R, E> { stored! }
}
