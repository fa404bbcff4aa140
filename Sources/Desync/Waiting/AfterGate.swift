import Synchronization

/// The gate of an `after` job: open once the first future is done, or once the job's own future
/// was cancelled. A cancelled job never runs, so it must not keep its queue paused behind a
/// future that may never finish: the queue resumes, skips the job, and runs the jobs behind it.
final class AfterGate: Waitable {
    private let first: any Waitable
    /// The `after` job's own future: done before the job ran only when it was cancelled.
    private let own: any Waitable

    init(first: any Waitable, own: any Waitable) {
        self.first = first
        self.own = own
    }

    var isDone: Bool { first.isDone || own.isDone }

    /// A waiter reaches the gate by running what the first future waits on.
    var driver: (any WaitDriver)? { first.driver }

    func addWaiter(_ parker: Parker) -> Bool {
        // On both: whichever opens first wakes the waiter (a later wake from the other is a
        // spurious one, which every waiter already tolerates by looking again).
        first.addWaiter(parker) && own.addWaiter(parker)
    }

    func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool {
        let fired = Atomic<Bool>(false)
        let once: @Sendable () -> Void = {
            if !fired.exchange(true, ordering: .acquiringAndReleasing) { callback() }
        }
        if first.onDone(once) && own.onDone(once) { return true }
        // One was open already. If the other's registration has not fired meanwhile, the caller
        // acts now (false) and a later firing does nothing; if it has, the callback ran (true).
        return fired.exchange(true, ordering: .acquiringAndReleasing)
    }
}
