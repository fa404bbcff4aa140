import NIOConcurrencyHelpers

/// Reached when any of its targets is: a job suspended on a future with a timeout waits for the
/// future or a timer, and one that may be cancelled for its target or the cancel request.
package final class FirstOf: Waitable {
    package let targets: [any Waitable]

    /// At least one target; the first one's driver is the gate's (the others are timers and
    /// signals, which a waiter cannot drive).
    package init(_ targets: [any Waitable]) {
        if !(!targets.isEmpty) { desyncFatal("desync: FirstOf needs a target") }
        self.targets = targets
    }

    package var isDone: Bool { targets.contains { $0.isDone } }

    package var driver: (any WaitDriver)? { targets[0].driver }

    package func addWaiter(_ parker: Parker) -> Bool {
        // On all: whichever is reached first wakes the waiter; a later wake from another is a
        // spurious one, which every waiter tolerates by looking again.
        for target in targets where !target.addWaiter(parker) { return false }
        return true
    }

    package func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool {
        // The targets not reached keep their registration (a Waitable has no way to take one
        // back), so it holds the callback only until the first firing takes it: a suspended Lua
        // job's callback holds the job and its object, and a cancel request that never comes
        // kept both alive for as long as the request lived (every object whose last job waited).
        let pending = OnceCallback(callback)
        let once: @Sendable () -> Void = { pending.take()?() }
        for target in targets where !target.onDone(once) {
            // Reached already. If no registration fired meanwhile, the caller acts now (false)
            // and later firings do nothing; if one has, the callback ran (true).
            return pending.take() == nil
        }
        return true
    }
}

/// A callback that runs at most once and is let go once taken.
private final class OnceCallback: Sendable {
    private let slot: NIOLockedValueBox<(@Sendable () -> Void)?>

    init(_ callback: @escaping @Sendable () -> Void) {
        slot = NIOLockedValueBox(callback)
    }

    func take() -> (@Sendable () -> Void)? {
        slot.withLockedValue { slot in
            defer { slot = nil }
            return slot
        }
    }
}
