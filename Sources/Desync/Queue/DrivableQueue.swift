/// A queue as the scheduler and the waiters see it, whatever its value type.
protocol DrivableQueue: AnyObject, Sendable {
    /// Called by a pool thread that popped the queue from the ready list: claims it if nobody
    /// else did, and runs one turn.
    func runTurnOnWorker()

    /// Blocks until `gate` opens, running the queue on this thread whenever nobody else is.
    /// Returns false if the deadline passed first.
    @discardableResult
    func wait(for gate: any Gate, until deadline: ContinuousClock.Instant?) -> Bool
}
