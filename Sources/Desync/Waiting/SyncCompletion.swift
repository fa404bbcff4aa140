import NIOConcurrencyHelpers

/// The gate a `sync` caller sleeps on while its job waits behind others; the caller drives the
/// job's queue (``BlockingWait``), so the gate itself has no driver.
@usableFromInline
final class SyncCompletion: Waitable {
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

    func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool {
        state.withLockedValue { state in
            if state.done { return false }
            state.wakeList.add(callback)
            return true
        }
    }
}
