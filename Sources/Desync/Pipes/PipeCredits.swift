import NIOConcurrencyHelpers

/// How far a pipe's feeding task may run ahead: it takes a credit before it pulls an item, and
/// whoever is done with the item (the job, or the pipe's consumer) gives it back. The task
/// suspends while none are left, holding no thread. One task waits on it at a time.
final class PipeCredits: Sendable {
    private struct State {
        var available: Int
        let total: Int
        var closed = false
        /// The waiting task, and how many credits must be available for it to go on.
        var waiter: (needed: Int, continuation: CheckedContinuation<Bool, Never>)?

        /// The waiter to resume, and with what, if it may go on now.
        mutating func readyWaiter() -> (CheckedContinuation<Bool, Never>, Bool)? {
            guard let (needed, continuation) = waiter else { return nil }
            if closed {
                waiter = nil
                return (continuation, false)
            }
            guard available >= needed else { return nil }
            waiter = nil
            return (continuation, true)
        }
    }

    private let state: NIOLockedValueBox<State>

    init(_ total: Int) {
        precondition(total >= 1, "desync: a pipe needs a depth of 1 or more, not \(total)")
        state = NIOLockedValueBox(State(available: total, total: total))
    }

    /// Takes one credit, waiting for one if none is left. False when closed, or when the task is
    /// cancelled while it waits: the feeder must stop.
    func acquire() async -> Bool {
        guard await wait(forAvailable: 1) else { return false }
        return state.withLockedValue { state in
            guard !state.closed else { return false }
            state.available -= 1
            return true
        }
    }

    /// Waits until every credit is back (every item taken is done with). False when closed or
    /// cancelled first.
    func waitForAll() async -> Bool {
        await wait(forAvailable: state.withLockedValue { $0.total })
    }

    /// Gives one credit back.
    func release() {
        let ready = state.withLockedValue { state in
            state.available += 1
            return state.readyWaiter()
        }
        if let (continuation, outcome) = ready { continuation.resume(returning: outcome) }
    }

    /// Stops the feeder: its waits return false from now on.
    func close() {
        let ready = state.withLockedValue { state in
            state.closed = true
            return state.readyWaiter()
        }
        if let (continuation, outcome) = ready { continuation.resume(returning: outcome) }
    }

    private func wait(forAvailable needed: Int) async -> Bool {
        // Only the single feeding task takes credits, so once enough are available they stay so
        // until it takes them: the check and the take need not be one step.
        let now: Bool? = state.withLockedValue { state in
            if state.closed { return false }
            return state.available >= needed ? true : nil
        }
        if let now { return now }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let ready = state.withLockedValue { state -> Bool? in
                    // Checked under the lock: a later cancellation finds the waiter registered.
                    if Task.isCancelled || state.closed { return false }
                    if state.available >= needed { return true }
                    state.waiter = (needed, continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state in
                defer { state.waiter = nil }
                return state.waiter?.continuation
            }
            waiter?.resume(returning: false)
        }
    }
}
