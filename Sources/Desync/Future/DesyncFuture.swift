import NIOConcurrencyHelpers
import Synchronization

/// The handle of a job queued with ``Desync/future(_:)-5wc0t`` or ``Desync/after(_:_:)``.
///
/// Poll it with ``isDone``, block on it with ``wait()``, or suspend on it with ``value``:
///
/// ```swift
/// let counter = Desync(0)
/// let answer = counter.future { count in count += 1; return count }
/// print(try answer.wait())            // 1
/// print(try await answer.value)       // 1, without blocking a thread
/// ```
///
/// A blocking wait does not sleep while the job sits in a queue that no thread is running: it runs
/// the queue itself, as ``Desync/sync(_:)`` does, so futures complete even with a pool of 0 threads.
public final class DesyncFuture<Success: Sendable>: Sendable {
    /// Where a future's job is.
    public enum Status: String, Sendable {
        /// Queued, not started.
        case pending
        /// Running now.
        case running
        /// Finished and returned a value.
        case done
        /// Finished by throwing an error.
        case failed
        /// Cancelled before it started; it never runs.
        case cancelled
    }

    let state = NIOLockedValueBox(FutureState())
    /// Set, under the lock, when the phase becomes finished or cancelled, and never cleared:
    /// `isDone` is polled after every job a waiting caller runs.
    private let done = Atomic<Bool>(false)
    /// The job's value or error: written once, under the lock, just before the phase becomes
    /// succeeded or failed, and read only after that phase was seen under the lock (or `done`
    /// read true). Not a `Result<Success, any Error>`, and not in the locked state: unspecialised
    /// generic code (a future's methods, called from other modules) looks up the metadata of
    /// every generic type it derives from `Success` at run time, and a phase carrying a `Result`
    /// made a future's round trip cost 21 such lookups, more than half of its instructions
    /// (callgrind). A pointer to a `Success` and an existential error need none.
    private nonisolated(unsafe) var storedValue: UnsafeMutablePointer<Success>?
    private nonisolated(unsafe) var storedError: (any Error)?
    /// What a blocking wait runs to complete the future: the queue its job waits in; for a
    /// promise's future, whatever its maker said, or nothing.
    package let driver: (any WaitDriver)?

    init(driver: (any WaitDriver)?) {
        self.driver = driver
    }

    /// The future of a job on `core`'s queue, made in inlinable code (`Desync.future`).
    @usableFromInline
    convenience init(core: QueueCore) {
        self.init(driver: core)
    }

    deinit {
        if let storedValue {
            storedValue.deinitialize(count: 1)
            storedValue.deallocate()
        }
    }

    /// True once the job has finished, successfully or not, or was cancelled. Never blocks.
    public var isDone: Bool {
        done.load(ordering: .acquiring)
    }

    /// Where the job is now. Never blocks.
    public var status: Status {
        switch state.withLockedValue({ $0.phase }) {
        case .pending: .pending
        case .running: .running
        case .succeeded: .done
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }

    /// The outcome once done, without waiting: nil while pending or running. A cancelled job's
    /// outcome is a `CancellationError`.
    public var outcome: Result<Success, any Error>? {
        switch state.withLockedValue({ $0.phase }) {
        case .pending, .running: nil
        // Seen under the lock, so the write that came before it is visible.
        case .succeeded: .success(storedValue!.pointee)
        case .failed: .failure(storedError!)
        case .cancelled: .failure(CancellationError())
        }
    }

    /// Waits for the job and returns its outcome instead of throwing it.
    public var result: Result<Success, any Error> {
        _ = BlockingWait.wait(for: self)
        return outcome!
    }

    /// Waits for the job and returns its value, or throws its error (`CancellationError` if it was
    /// cancelled).
    ///
    /// - Precondition: not called from inside a job of the same object while this job is still
    ///   queued behind it (that would wait forever).
    public func wait() throws -> Success {
        _ = BlockingWait.wait(for: self)
        return try finishedValue()
    }

    /// Waits at most `timeout` for the job. Returns nil on timeout; otherwise the job's value, or
    /// throws its error.
    ///
    /// The wait returns by its deadline: while pool threads can run the object's queue it leaves
    /// the jobs to them; with 0 pool threads it runs queued jobs itself only while time remains,
    /// and a job it has started runs to its end.
    public func wait(timeout: Duration) throws -> Success? {
        guard BlockingWait.wait(for: self, until: BlockingWait.deadline(after: timeout, for: self)) == .done else { return nil }
        return try finishedValue()
    }

    /// Waits until the future is done, `deadline` passes or `stop` returns true, as ``BlockingWait``
    /// does; for waits that must stay interruptible (the Lua host).
    package func wait(until deadline: ContinuousClock.Instant?, stop: (() -> Bool)?) -> WaitOutcome {
        BlockingWait.wait(for: self, until: deadline, stop: stop)
    }

    /// The value of a future that is done, or its error thrown; without a `Result` in between.
    func finishedValue() throws -> Success {
        switch state.withLockedValue({ $0.phase }) {
        case .succeeded: return storedValue!.pointee
        case .failed: throw storedError!
        case .cancelled: throw CancellationError()
        case .pending, .running: desyncFatal("desync: a future's wait returned before it was done")
        }
    }

    /// Cancels the job if it has not started. Returns true when it will never run.
    @discardableResult
    public func cancel() -> Bool {
        let waiters: FutureState.Waiters? = state.withLockedValue { state in
            guard case .pending = state.phase else { return nil }
            state.phase = .cancelled
            done.store(true, ordering: .releasing)
            return state.takeWaiters()
        }
        guard let waiters else { return false }
        waiters.wakeAll()
        return true
    }

    /// Marks the job as started; false when it was cancelled (the job must then not run).
    func start() -> Bool {
        state.withLockedValue { state in
            guard case .pending = state.phase else { return false }
            state.phase = .running
            return true
        }
    }

    /// Records the outcome, unless the future has one already or was cancelled (a promise may be
    /// completed twice, or after a `cancel()`): false then, and nothing changes.
    @discardableResult
    func finish(_ result: Result<Success, any Error>) -> Bool {
        switch result {
        case .success(let success): finish(value: success)
        case .failure(let error): finish(error: error)
        }
    }

    /// `finish` with a value.
    @discardableResult
    func finish(value success: Success) -> Bool {
        let pointer = UnsafeMutablePointer<Success>.allocate(capacity: 1)
        pointer.initialize(to: success)
        guard publish({ storedValue = pointer }, phase: .succeeded) else {
            pointer.deinitialize(count: 1)
            pointer.deallocate()
            return false
        }
        return true
    }

    /// `finish` with an error.
    @discardableResult
    func finish(error: any Error) -> Bool {
        publish({ storedError = error }, phase: .failed)
    }

    /// `finish` as cancelled: a job that started, then stopped at a cancel request.
    @discardableResult
    func finishCancelled() -> Bool {
        publish({}, phase: .cancelled)
    }

    /// Under the lock, unless the future has an outcome already or was cancelled: `store` (the
    /// outcome), then `phase`; wakes the waiters after.
    private func publish(_ store: () -> Void, phase: FutureState.Phase) -> Bool {
        let waiters: FutureState.Waiters? = state.withLockedValue { state in
            switch state.phase {
            case .succeeded, .failed, .cancelled:
                return nil
            case .pending, .running:
                store()
                state.phase = phase
                done.store(true, ordering: .releasing)
                return state.takeWaiters()
            }
        }
        guard let waiters else { return false }
        waiters.wakeAll()
        return true
    }

    /// Runs `job` as this future's body on `queue`: nothing if it was cancelled, else records its
    /// outcome, once the queue no longer counts the job as pending.
    ///
    /// No `Result` in between: in this unspecialised code, making one looked up its metadata at
    /// run time twice a job, a tenth of an `await value` round trip's instructions (callgrind).
    func run(in queue: QueueCore, _ job: () throws -> Success) {
        guard start() else { return }
        let value: Success
        do {
            value = try job()
        } catch {
            queue.jobFinishing()
            finish(error: error)
            return
        }
        queue.jobFinishing()
        finish(value: value)
    }
}

extension DesyncFuture: Waitable {
    package func addWaiter(_ parker: Parker) -> Bool {
        state.withLockedValue { state in
            switch state.phase {
            case .succeeded, .failed, .cancelled: return false
            case .pending, .running:
                state.wakeList.add(parker)
                return true
            }
        }
    }

    package func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool {
        state.withLockedValue { state in
            switch state.phase {
            case .succeeded, .failed, .cancelled: return false
            case .pending, .running:
                state.wakeList.add(callback)
                return true
            }
        }
    }
}

extension DesyncFuture: CustomStringConvertible {
    /// The result type and status, as `DesyncFuture<Int>(pending)`: never waits, never shows the
    /// value.
    public var description: String { "DesyncFuture<\(Success.self)>(\(status.rawValue))" }
}

/// A future's phase without its outcome (which the future keeps beside it), and who waits for it.
/// Not generic, so that locking it costs no run-time type lookup in unspecialised code.
struct FutureState: Sendable {
    enum Phase: Sendable {
        case pending
        case running
        case succeeded
        case failed
        case cancelled
    }

    /// Who to tell when the future is done, taken out together.
    struct Waiters {
        var wakeList: WakeList
        var awaiters: [ValueAwaiter]

        func wakeAll() {
            wakeList.wakeAll()
            for awaiter in awaiters { awaiter.resume() }
        }
    }

    var phase = Phase.pending
    var wakeList = WakeList()
    /// Tasks in `await value`, kept apart from `wakeList` so that a cancelled one can be taken out.
    var awaiters: [ValueAwaiter] = []

    mutating func takeWaiters() -> Waiters {
        let taken = Waiters(wakeList: wakeList.take(), awaiters: awaiters)
        awaiters = []
        return taken
    }
}
