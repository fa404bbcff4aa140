import NIOConcurrencyHelpers

/// The gate a `sync` caller sleeps on while another thread runs its job.
@usableFromInline
final class SyncCompletion: Gate {
    private struct State {
        var done = false
        var wakeList = WakeList()
    }

    private let state = NIOLockedValueBox(State())

    @usableFromInline
    init() {}

    var isDone: Bool { state.withLockedValue { $0.done } }

    @usableFromInline
    func open() {
        state.withLockedValue { state in
            state.done = true
            return state.wakeList.take()
        }.wakeAll()
    }

    func addWaiter(_ parker: Parker) -> Bool {
        state.withLockedValue { state in
            if state.done { return false }
            state.wakeList.add(parker)
            return true
        }
    }

    /// Only `after` suspends a queue, and it waits on futures, never on a `sync`.
    func help(until deadline: ContinuousClock.Instant?) -> Bool {
        preconditionFailure("desync: a queue cannot wait on another caller's sync")
    }

    func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool {
        state.withLockedValue { state in
            if state.done { return false }
            state.wakeList.add(callback)
            return true
        }
    }
}
