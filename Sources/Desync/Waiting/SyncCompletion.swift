import NIOConcurrencyHelpers

/// A gate opened once, by hand: the one a `sync` caller sleeps on while its job waits behind
/// others (the caller drives the job's queue, ``BlockingWait``, so the gate itself has no
/// driver), and in the Lua runtime the end of a job that suspended, or a request to cancel one.
@usableFromInline
package final class SyncCompletion: Waitable {
    private struct State {
        var done = false
        var wakeList = WakeList()
    }

    private let state = NIOLockedValueBox(State())

    @usableFromInline
    package init() {}

    package var isDone: Bool { state.withLockedValue { $0.done } }

    @usableFromInline
    package func open() {
        state.withLockedValue { state in
            state.done = true
            return state.wakeList.take()
        }.wakeAll()
    }

    package func addWaiter(_ parker: Parker) -> Bool {
        state.withLockedValue { state in
            if state.done { return false }
            state.wakeList.add(parker)
            return true
        }
    }

    package func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool {
        state.withLockedValue { state in
            if state.done { return false }
            state.wakeList.add(callback)
            return true
        }
    }
}
