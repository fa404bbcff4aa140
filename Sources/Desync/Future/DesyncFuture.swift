import NIOConcurrencyHelpers
import Synchronization

/// The handle of a job queued with ``Desync/future(_:)`` or ``Desync/after(_:_:)``.
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

    private enum Phase {
        case pending
        case running
        case finished(Result<Success, any Error>)
        case cancelled
    }

    private struct State {
        var phase = Phase.pending
        var wakeList = WakeList()
    }

    private let state = NIOLockedValueBox(State())
    /// Set, under the lock, when the phase becomes finished or cancelled, and never cleared:
    /// `isDone` is polled after every job a waiting caller runs, and a generic class's lock would
    /// cost a type-metadata lookup on each poll.
    private let done = Atomic<Bool>(false)
    /// The queue the job waits in, so that a blocking wait can run it; for a promise's future,
    /// which has no job, a `PromiseWait`.
    private let queue: any DrivableQueue

    init(queue: any DrivableQueue) {
        self.queue = queue
    }

    /// True once the job has finished, successfully or not, or was cancelled. Never blocks.
    public var isDone: Bool {
        done.load(ordering: .acquiring)
    }

    /// Where the job is now. Never blocks.
    public var status: Status {
        state.withLockedValue { state in
            switch state.phase {
            case .pending: .pending
            case .running: .running
            case .finished(.success): .done
            case .finished(.failure): .failed
            case .cancelled: .cancelled
            }
        }
    }

    /// The outcome once done, without waiting: nil while pending or running. A cancelled job's
    /// outcome is a `CancellationError`.
    public var outcome: Result<Success, any Error>? {
        state.withLockedValue { state in
            switch state.phase {
            case .pending, .running: nil
            case .finished(let result): result
            case .cancelled: .failure(CancellationError())
            }
        }
    }

    /// Waits for the job and returns its outcome instead of throwing it.
    public var result: Result<Success, any Error> {
        queue.wait(for: self, until: nil)
        return outcome!
    }

    /// Waits for the job and returns its value, or throws its error (`CancellationError` if it was
    /// cancelled).
    ///
    /// - Precondition: not called from inside a job of the same object while this job is still
    ///   queued behind it (that would wait forever).
    public func wait() throws -> Success {
        try result.get()
    }

    /// Waits at most `timeout` for the job. Returns nil on timeout; otherwise the job's value, or
    /// throws its error.
    public func wait(timeout: Duration) throws -> Success? {
        guard queue.wait(for: self, until: .now + timeout) else { return nil }
        return try outcome!.get()
    }

    /// The job's value, awaited without blocking a thread; throws the job's error.
    ///
    /// Unlike ``wait()``, awaiting cannot run the queue itself, so it needs a pool thread
    /// (`maxThreads` above 0) or another thread waiting on the object.
    public var value: Success {
        get async throws {
            if let outcome { return try outcome.get() }
            return try await withCheckedThrowingContinuation { continuation in
                let registered = onDone { continuation.resume(with: self.outcome!) }
                if !registered { continuation.resume(with: self.outcome!) }
            }
        }
    }

    /// Cancels the job if it has not started. Returns true when it will never run.
    @discardableResult
    public func cancel() -> Bool {
        let wakeList: WakeList? = state.withLockedValue { state in
            guard case .pending = state.phase else { return nil }
            state.phase = .cancelled
            done.store(true, ordering: .releasing)
            return state.wakeList.take()
        }
        guard let wakeList else { return false }
        wakeList.wakeAll()
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
        let wakeList: WakeList? = state.withLockedValue { state in
            switch state.phase {
            case .finished, .cancelled:
                return nil
            case .pending, .running:
                state.phase = .finished(result)
                done.store(true, ordering: .releasing)
                return state.wakeList.take()
            }
        }
        guard let wakeList else { return false }
        wakeList.wakeAll()
        return true
    }

    /// Runs `job` as this future's body: nothing if it was cancelled, else records its outcome.
    func run(_ job: () throws -> Success) {
        guard start() else { return }
        finish(Result { try job() })
    }
}

extension DesyncFuture: Gate {
    func help(until deadline: ContinuousClock.Instant?) -> Bool {
        queue.wait(for: self, until: deadline)
    }

    func addWaiter(_ parker: Parker) -> Bool {
        state.withLockedValue { state in
            switch state.phase {
            case .finished, .cancelled: return false
            case .pending, .running:
                state.wakeList.add(parker)
                return true
            }
        }
    }

    func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool {
        state.withLockedValue { state in
            switch state.phase {
            case .finished, .cancelled: return false
            case .pending, .running:
                state.wakeList.add(callback)
                return true
            }
        }
    }
}

extension DesyncFuture: CustomStringConvertible {
    public var description: String { "DesyncFuture<\(Success.self)>(\(status.rawValue))" }
}
