import NIOConcurrencyHelpers

/// The storage behind a ``Desync``: its value, its jobs, and the rules for who runs them.
final class JobQueue<T>: DrivableQueue, @unchecked Sendable {
    // @unchecked: `value` is touched only by the thread that owns the queue, i.e. whose
    // `QueueState.phase` is `.running(thatThread)`; ownership is taken and given back under
    // `state`'s lock, which orders every access. Everything else is behind that lock.
    // The padding gives `value` an address of its own even when `T` is empty (`Void`), so
    // ThreadSanitizer does not take accesses to it for accesses to `state`.
    private var stored: (value: T, padding: UInt8)
    private let state: NIOLockedValueBox<QueueState<T>>
    let scheduler: Scheduler
    /// The object's name in traces and statistics.
    let label: String

    /// How many jobs a pool thread runs before putting the queue back at the tail of the ready
    /// list, so a queue fed faster than it drains cannot starve the others.
    static var turnLimit: Int { 256 }

    init(value: consuming sending T, label: String, scheduler: Scheduler) {
        self.stored = (value, 0)
        self.state = NIOLockedValueBox(QueueState())
        self.scheduler = scheduler
        self.label = label
    }

    var pending: Int { state.withLockedValue { $0.pending } }

    var isRunningOnCurrentThread: Bool {
        let me = ThreadID.current
        return state.withLockedValue { $0.isRunning(on: me) }
    }

    func submit(_ job: Job<T>) {
        var job = job
        job.queuedAt = scheduler.tracing.stamp()
        if state.withLockedValue({ $0.submit(job) }) {
            scheduler.schedule(self)
        }
    }

    /// Runs `job` at once on this thread if the queue is idle; otherwise reports why not.
    func runIfIdle<R, E: Error>(
        _ job: (inout T) throws(E) -> R
    ) throws(E) -> Result<R, E>? {
        let me = ThreadID.current
        switch state.withLockedValue({ $0.startSync(on: me) }) {
        case .queueBehind:
            return nil
        case .reentrant:
            preconditionFailure(Self.reentrancyMessage)
        case .runInline:
            let started = scheduler.tracing.jobStarting()
            defer {
                if started != 0 {
                    scheduler.tracing.record(object: label, kind: .sync, queued: started, started: started, onPoolThread: false)
                }
                scheduler.count(JobCounts(kind: .sync), onPoolThread: false)
                finishRunning()
            }
            return .success(try job(&stored.value))
        }
    }

    /// `sync` when the queue is busy: the job goes behind the others, and this thread either
    /// runs the queue up to it or sleeps until someone else has.
    func runBehindQueue<R, E: Error>(_ job: (inout T) throws(E) -> R) throws(E) -> R {
        try withoutActuallyEscaping(job) { (escapable) throws(E) -> R in
            let handoff = SyncHandoff(escapable)
            let completion = SyncCompletion()
            submit(Job(gate: nil, kind: .sync) { value in
                handoff.run(&value)
                completion.open()
            })
            wait(for: completion, until: nil)
            return try handoff.outcome.get()
        }
    }

    @discardableResult
    func wait(for gate: any Gate, until deadline: ContinuousClock.Instant?) -> Bool {
        let me = ThreadID.current
        let parker = ThreadParker.current
        while !gate.isDone {
            switch state.withLockedValue({ $0.waitStep(on: me, parker: parker) }) {
            case .reentrant:
                preconditionFailure(Self.reentrancyMessage)
            case .drive:
                drain(limit: .max, until: gate, onPoolThread: false)
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
        let me = ThreadID.current
        guard state.withLockedValue({ $0.claimForWorker(me) }) else { return }
        drain(limit: Self.turnLimit, until: nil, onPoolThread: true)
    }

    /// Runs jobs as the queue's owner until `limit` jobs ran, `gate` opened, the queue emptied,
    /// or the next job must wait for a gate; then gives the queue up.
    private func drain(limit: Int, until stop: (any Gate)?, onPoolThread: Bool) {
        var counts = JobCounts()
        defer { scheduler.count(counts, onPoolThread: onPoolThread) }
        let tracing = scheduler.tracing
        while counts.total < limit, !(stop?.isDone ?? false) {
            guard let job = state.withLockedValue({ $0.next() }) else { break }
            if let gate = job.gate, !gate.isDone {
                suspend(before: job, gate: gate)
                return
            }
            let started = tracing.jobStarting()
            job.body(&stored.value)
            if started != 0 {
                tracing.record(object: label, kind: job.kind, queued: job.queuedAt, started: started, onPoolThread: onPoolThread)
            }
            counts.add(job.kind)
        }
        finishRunning()
    }

    private func suspend(before job: Job<T>, gate: any Gate) {
        state.withLockedValue { $0.suspend(before: job, on: gate) }
        // Registered after suspending, so an opening in between resumes a suspended queue.
        if !gate.onDone({ self.resume() }) {
            resume()
        }
    }

    private func resume() {
        perform(state.withLockedValue { $0.resume() })
    }

    private func finishRunning() {
        perform(state.withLockedValue { $0.release() })
    }

    private func perform(_ release: QueueState<T>.Release) {
        for waiter in release.waiters { waiter.unpark() }
        if release.schedule { scheduler.schedule(self) }
    }

    static var reentrancyMessage: String {
        "desync: sync or wait on an object from inside one of its own jobs would wait forever"
    }
}

/// Carries a `sync` job, which is not `Sendable`, to the thread that runs it, and its outcome back.
private final class SyncHandoff<T, R, E: Error>: @unchecked Sendable {
    // @unchecked: the caller of `sync` sleeps from `submit` until the job's completion opens, so
    // the job and its captures are used by exactly one thread at a time, and `outcome` is written
    // before the completion's lock is released and read after it is taken.
    private var job: ((inout T) throws(E) -> R)?
    private var stored: Result<R, E>?

    init(_ job: @escaping (inout T) throws(E) -> R) { self.job = job }

    func run(_ value: inout T) {
        // Let go of the job before the caller wakes: it must not outlive `sync`.
        let job = self.job.take()!
        do throws(E) {
            stored = .success(try job(&value))
        } catch {
            stored = .failure(error)
        }
    }

    var outcome: Result<R, E> { stored! }
}
