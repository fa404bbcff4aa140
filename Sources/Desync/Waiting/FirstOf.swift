import Synchronization

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
        let fired = Atomic<Bool>(false)
        let once: @Sendable () -> Void = {
            if !fired.exchange(true, ordering: .acquiringAndReleasing) { callback() }
        }
        for target in targets where !target.onDone(once) {
            // Reached already. If no registration fired meanwhile, the caller acts now (false)
            // and later firings do nothing; if one has, the callback ran (true).
            return fired.exchange(true, ordering: .acquiringAndReleasing)
        }
        return true
    }
}
