/// What a blocking wait on a ``DesyncPromise``'s future does where other futures run their queue:
/// there is no job to run, so the waiting thread sleeps until the promise is completed.
///
/// With a helper, the waiter calls it before sleeping and sleeps at most `unwokenWaitSlice` at a
/// time: the work the helper can run (a pipe's jobs) may appear at any moment, and nothing wakes
/// the waiter when it does.
final class PromiseWait: DrivableQueue {
    private let help: (@Sendable () -> Bool)?

    init(help: (@Sendable () -> Bool)?) {
        self.help = help
    }

    /// Never called: no job is ever submitted here, so the scheduler never lists this queue.
    func runTurnOnWorker() {}

    @discardableResult
    func wait(for gate: any Gate, until deadline: ContinuousClock.Instant?) -> Bool {
        let parker = ThreadParker.current
        var registered = false
        while !gate.isDone {
            // Checked before helping too: the helper may run long, and a host waiting in slices
            // must get back to its Ctrl-C check.
            if let deadline, ContinuousClock.now >= deadline { return false }
            if help?() == true { continue }
            // Once per call: the parker stays on the gate's wake list until the gate opens.
            if !registered {
                guard gate.addWaiter(parker) else { break }
                registered = true
            }
            var wakeAt = deadline
            if help != nil {
                let nextHelp = ContinuousClock.now + unwokenWaitSlice
                wakeAt = deadline.map { min($0, nextHelp) } ?? nextHelp
            }
            // Whoever completes the promise may need a pool thread: if this is the last one, the
            // pool lends another while it sleeps, as for a blocked channel.
            Scheduler.blockingOutside {
                if let wakeAt { _ = parker.park(until: wakeAt) } else { parker.park() }
            }
        }
        return true
    }
}
