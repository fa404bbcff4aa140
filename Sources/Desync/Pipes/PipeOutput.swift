import NIOConcurrencyHelpers

/// The shared core of a ``DesyncPipe``: the feeder task and the jobs push into it, consumers take
/// from it. It does not know its consumers; ``PipeConsumerHandle`` terminates it when the last
/// one is gone.
final class PipeOutput<Result: Sendable>: Sendable {
    private let state = NIOLockedValueBox(PipeOutputState<Result>())
    /// One credit per item pulled and not yet consumed: the backpressure.
    let credits: PipeCredits
    private let feeder = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(depth: Int) {
        credits = PipeCredits(depth)
    }

    var isTerminated: Bool { state.withLockedValue { $0.isTerminated } }

    /// Keeps the feeding task, to cancel it when the pipe is terminated.
    func setFeeder(_ task: Task<Void, Never>) {
        feeder.withLockedValue { $0 = task }
        if isTerminated { task.cancel() }
    }

    func push(_ result: Result) {
        perform(state.withLockedValue { $0.push(result) })
    }

    func sourceEnded(count: Int, error: (any Error)?) {
        perform(state.withLockedValue { $0.sourceEnded(count: count, error: error) })
    }

    /// Stops the pipe: no more pulls from the source, results dropped, consumers end.
    func terminate() {
        perform(state.withLockedValue { $0.terminate() })
        credits.close()
        feeder.withLockedValue { $0 }?.cancel()
    }

    func next() async throws -> Result? {
        // A cancelled consumer stops the pipe, as dropping it would.
        if Task.isCancelled {
            terminate()
            return nil
        }
        switch state.withLockedValue({ $0.next(orWait: nil) }) {
        case .result(let result):
            credits.release()
            return result
        case .end(let end):
            return try end.get()
        case .waiting:
            break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: PipeOutputState<Result>.Consumer) in
                let step = state.withLockedValue { state -> PipeOutputState<Result>.Step? in
                    // Checked under the lock: a later cancellation finds the consumer queued.
                    if Task.isCancelled { return nil }
                    return state.next(orWait: continuation)
                }
                switch step {
                case .result(let result)?:
                    credits.release()
                    continuation.resume(returning: result)
                case .end(let end)?:
                    continuation.resume(with: end)
                case .waiting?:
                    break
                case nil:
                    continuation.resume(returning: nil)
                    terminate()
                }
            }
        } onCancel: {
            terminate()
        }
    }

    private func perform(_ wakeups: PipeOutputState<Result>.Wakeups) {
        for _ in 0..<wakeups.consumed { credits.release() }
        for (consumer, outcome) in wakeups.consumers { consumer.resume(with: outcome) }
    }
}

/// Held only by a ``DesyncPipe`` and its iterators: when the last of them is gone, nobody can
/// read the results, so the pipe stops.
final class PipeConsumerHandle<Result: Sendable>: Sendable {
    let output: PipeOutput<Result>

    init(_ output: PipeOutput<Result>) {
        self.output = output
    }

    deinit {
        output.terminate()
    }
}
