import NIOConcurrencyHelpers

/// What a blocking wait on a ``Desync/pipeIn(_:_:)`` future drives.
///
/// A plain future's wait runs the object's queue while its job sits there unrun. A pipe's future
/// depends on jobs that do not exist yet: the feeding task submits them one by one. So a wait
/// here runs the object's queue until the next item arrives, sleeps until then, and goes on until
/// the future is done; with 0 pool threads that is what makes `wait()` finish at all.
final class PipeWaitDriver: DrivableQueue {
    private let target: any DrivableQueue
    /// One gate per waiting thread, opened when the feeder submits a job or finishes.
    private let waiting = NIOLockedValueBox<[SyncCompletion]>([])

    init(driving target: any DrivableQueue) {
        self.target = target
    }

    /// The feeder submitted a job, or finished: waiting threads look again.
    func progressed() {
        let gates = waiting.withLockedValue { gates in
            defer { gates = [] }
            return gates
        }
        for gate in gates { gate.open() }
    }

    func runTurnOnWorker() {
        target.runTurnOnWorker()
    }

    @discardableResult
    func wait(for gate: any Gate, until deadline: ContinuousClock.Instant?) -> Bool {
        while !gate.isDone {
            // Registered before looking, so a job submitted from now on opens it: jobs submitted
            // earlier are in the queue already, and the target's wait runs them.
            let next = SyncCompletion()
            waiting.withLockedValue { $0.append(next) }
            if gate.isDone { break }
            if !target.wait(for: next, until: deadline) { return gate.isDone }
        }
        return true
    }
}
