/// The one wait of a simulating scheduler: the waiting thread runs the whole schedule, a job at
/// a time, until what it waits for is reached.
extension Scheduler {
    /// Runs jobs, one per seeded pick, until `target` is reached, virtual time reaches
    /// `deadline`, or `stop` says stop. When no queue is ready, virtual time jumps to the next
    /// timer (or deadline, if earlier); with neither, nothing can ever reach the target:
    /// `.stuck`.
    ///
    /// One thread at a time runs the schedule. Another thread that waits meanwhile (two tasks
    /// awaiting, a test's second thread) sleeps until the runner reaches its target or its
    /// deadline, or hands it the schedule as it leaves. A wait from inside a job does not come
    /// here (see `BlockingWait`): run above the job's frame, the schedule could start a job that
    /// waits for that frame's object, which a pool would have run on another thread.
    package func simulatedWait(
        for target: any Waitable, until deadline: ContinuousClock.Instant?, stop: (() -> Bool)?
    ) -> WaitOutcome {
        guard let simulation else { desyncFatal("desync: a simulated wait on a scheduler that does not simulate") }
        let me = SimulatedWaiter(target: target, deadline: deadline)
        if !simulation.enter(me) {
            switch me.sleepUntilDoneOrRunner() {
            case .outcome(let outcome): return outcome
            case .runner: break
            }
        }
        let outcome = runSchedule(simulation, for: me, stop: stop)
        simulation.leave(me, finding: outcome)
        return outcome
    }

    private func runSchedule(_ simulation: Simulation, for me: SimulatedWaiter, stop: (() -> Bool)?) -> WaitOutcome {
        while !me.target.isDone {
            if let stop, stop() { return .stopped }
            if let deadline = me.deadline, clock.now >= deadline { return .timedOut }
            simulation.wakeWaitersDone(clock: clock)
            if simulationStep(simulation) { continue }
            if advanceVirtualTime(upTo: simulation.earliestDeadline(with: me.deadline)) { continue }
            return .stuck
        }
        return .done
    }

    /// Nothing can run now: fires the timers that are due, else moves virtual time to the next
    /// timer, or to `deadline` if that comes first, and fires what is due then. False when there
    /// is neither (only a job could bring more, and none can run).
    package func advanceVirtualTime(upTo deadline: ContinuousClock.Instant?) -> Bool {
        if timers.fireDue(now: clock.now).fired { return true }
        guard let next = [timers.nextDeadline, deadline].compactMap({ $0 }).min() else { return false }
        clock.advance(to: next)
        timers.fireDue(now: clock.now)
        return true
    }

    /// One step of the schedule: fires the timers that are due, else runs one job (or one slice
    /// of a suspended job) of a ready queue picked by the seeded chooser. False when nothing was
    /// due and no queue was ready.
    ///
    /// Every queue on the ready list can run: a queue whose job suspended is settled at once
    /// (`runSimulatedTurn`), so a uniform pick needs the list's length only, and a step costs
    /// the same with 10 ready queues as with 10,000. A listed queue found otherwise anyway is
    /// dropped and the pick made again (the draws stay a function of the seed).
    private func simulationStep(_ simulation: Simulation) -> Bool {
        if timers.fireDue(now: clock.now).fired { return true }
        while true {
            // The queues themselves only for a pick that needs them or a trace that shows them:
            // the pick draws the same either way, so tracing does not change the schedule.
            let listed = simulation.needsIdentities || tracing.isOn ? readyQueues : nil
            let count = listed?.count ?? readyCount
            guard count > 0 else { return false }
            let index = simulation.pick(count: count, identities: listed?.map(ObjectIdentifier.init))
            let picked = takeReady(at: index)
            switch picked.transition({ $0.lookForSimulation() }) {
            case .ready:
                if let listed, tracing.isOn { tracing.notePick(among: listed.map(\.label)) }
                picked.runSimulatedTurn()
                clock.tick(Simulation.jobDuration)
                return true
            case .gated:
                picked.runSimulatedTurn()
            case .notReady:
                break
            }
        }
    }
}

extension QueueCore {
    /// A simulation picked this queue: it runs one job (or one slice of a suspended job) here.
    /// A job that suspended hands the queue back with its rest first, behind a gate: the queue
    /// then suspends at once rather than stay listed as ready.
    final func runSimulatedTurn() {
        let me = ThreadID.current
        guard transition({ $0.claimForWorker(me) }) else { return }
        var batch = JobList()
        drain(limit: 1, until: nil, onPoolThread: false, batch: &batch)
        guard transition({ $0.lookForSimulation() }) == .gated else { return }
        scheduler.unlist(self)
        guard transition({ $0.claimForWorker(me) }) else { return }
        drain(limit: 1, until: nil, onPoolThread: false, batch: &batch)
    }
}
