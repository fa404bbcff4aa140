/// The one wait of a simulating scheduler: the waiting thread runs the whole schedule, a job at
/// a time, until what it waits for is reached.
extension Scheduler {
    /// Runs jobs, one per seeded pick, until `target` is reached, virtual time reaches
    /// `deadline`, or `stop` says stop. When no queue is ready, virtual time jumps to the next
    /// timer (or the deadline, if earlier); with neither, nothing can ever reach the target:
    /// `.stuck`.
    package func simulatedWait(
        for target: any Waitable, until deadline: ContinuousClock.Instant?, stop: (() -> Bool)?
    ) -> WaitOutcome {
        guard let simulation else { desyncFatal("desync: a simulated wait on a scheduler that does not simulate") }
        while !target.isDone {
            if let stop, stop() { return .stopped }
            if let deadline, clock.now >= deadline { return .timedOut }
            if simulationStep(simulation) { continue }
            let next = [timers.nextDeadline, deadline].compactMap { $0 }.min()
            guard let next else { return .stuck }
            clock.advance(to: next)
        }
        return .done
    }

    /// One step of the schedule: fires the timers that are due, else runs one job (or one slice
    /// of a suspended job) of a ready queue picked by the seeded chooser. False when nothing was
    /// due and no queue was ready.
    private func simulationStep(_ simulation: Simulation) -> Bool {
        if timers.fireDue(now: clock.now).fired { return true }
        var candidates: [QueueCore] = []
        var notReady: [QueueCore] = []
        for queue in readyQueues {
            switch queue.transition({ $0.lookForSimulation() }) {
            case .ready:
                candidates.append(queue)
            case .gated:
                // Claimed and run, it suspends until its gate opens, running nothing: not a
                // pick, and it does not count as ready.
                queue.runSimulatedTurn()
                notReady.append(queue)
            case .notReady:
                notReady.append(queue)
            }
        }
        unlist(notReady)
        guard !candidates.isEmpty else { return false }
        let picked = candidates[simulation.pick(candidates.map(ObjectIdentifier.init))]
        unlist([picked])
        tracing.notePick(among: candidates.map(\.label))
        picked.runSimulatedTurn()
        clock.tick(Simulation.jobDuration)
        return true
    }
}

extension QueueCore {
    /// A simulation picked this queue: it runs one job (or one slice of a suspended job) here.
    final func runSimulatedTurn() {
        let me = ThreadID.current
        guard transition({ $0.claimForWorker(me) }) else { return }
        var batch = JobList()
        drain(limit: 1, until: nil, onPoolThread: false, batch: &batch)
    }
}
