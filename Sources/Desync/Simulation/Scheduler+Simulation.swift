/// A scheduler that simulates: one thread (whichever waits) runs every job, a seeded generator
/// picks the next ready queue at every job boundary, and time is virtual.
extension Scheduler {
    /// A scheduler that simulates from the start, with no thread of its own: see
    /// ``simulate(_:)``.
    ///
    /// ```swift
    /// let pool = Scheduler(simulated: 42)
    /// let log = Desync([String](), scheduler: pool)
    /// let a = Desync(0, label: "a", scheduler: pool)
    /// let b = Desync(0, label: "b", scheduler: pool)
    /// a.async { _ in log.async { $0.append("a") } }
    /// b.async { _ in log.async { $0.append("b") } }
    /// print(log.sync { $0 })   // the same order every run with seed 42
    /// ```
    public convenience init(simulated seed: UInt64, strategy: SimulatedSchedule.Strategy = .uniform) {
        self.init(maxThreads: 0)
        do {
            try simulate(SimulatedSchedule(seed: seed, strategy: strategy))
        } catch {
            desyncFatal("desync: a new scheduler could not simulate: \(error)")
        }
    }

    /// From now on, for the rest of its life, the scheduler simulates `schedule`:
    /// - it has no thread: jobs run on the thread that waits (a `sync` behind a busy queue, a
    ///   future's `wait()`), one at a time;
    /// - at every job boundary, and every resume of a suspended job, the next queue to run is
    ///   picked among the ready ones by a generator seeded with the schedule's seed, so the same
    ///   seed and the same program give the same interleaving, run after run;
    /// - time is virtual (``now``, timers, trace timestamps): it stands still while jobs run (and
    ///   moves a microsecond after each pick) and, when nothing is ready, jumps to the next timer or the
    ///   waiter's deadline, so a program that sleeps an hour finishes at once. A wait that
    ///   nothing can ever end (no job ready, no timer set) stops the program with a message, as
    ///   a deadlock does.
    ///
    /// Throws when work is queued, running, suspended or timed on the scheduler, while it
    /// traces, or when it simulates already; setting ``maxThreads`` afterwards stops the program.
    public func simulate(_ schedule: SimulatedSchedule) throws(SimulationRefused) {
        if case .pct(let depth, let steps) = schedule.strategy,
           !(1...SimulatedSchedule.maxPCTDepth).contains(depth) || !(1...SimulatedSchedule.maxPCTSteps).contains(steps) {
            throw SimulationRefused(reason: "a PCT depth must be 1 to \(SimulatedSchedule.maxPCTDepth) and its steps 1 to \(SimulatedSchedule.maxPCTSteps)")
        }
        if isSimulated { throw SimulationRefused(reason: "the scheduler simulates already") }
        // A trace's times count from its start, on the clock it started with.
        if tracing.isOn { throw SimulationRefused(reason: "a trace is running (stop it first; a trace started after simulate uses virtual time)") }
        try refuseIfBusy()
        // The pool's threads leave first: one that has just run the last job may still be
        // finishing its turn's bookkeeping (counted busy), which a script cannot wait for.
        let threads = maxThreads
        maxThreads = 0
        guard shutdown(timeout: .seconds(5)) else {
            maxThreads = threads
            throw SimulationRefused(reason: "a job still runs on a pool thread")
        }
        do {
            try refuseIfBusy()
        } catch {
            maxThreads = threads
            throw error
        }
        timers.simulate()
        clock.startVirtual()
        simulationBox.withLockedValue { $0 = Simulation(schedule) }
        Simulation.simulatingSchedulers.add(1, ordering: .releasing)
    }

    private func refuseIfBusy() throws(SimulationRefused) {
        let stats = self.stats
        guard stats.readyQueues + stats.suspendedJobs + stats.timersPending == 0 else {
            throw SimulationRefused(reason: "work is queued, running or waiting on this scheduler (\(stats.readyQueues) queues ready, \(stats.suspendedJobs) jobs suspended, \(stats.timersPending) timers set)")
        }
    }

    /// The schedule this scheduler simulates, or nil.
    public var simulatedSchedule: SimulatedSchedule? {
        simulation?.schedule
    }

    /// True once ``simulate(_:)`` (or ``init(simulated:strategy:)``) made it simulate.
    public var isSimulated: Bool {
        clock.isVirtual
    }

    /// Now on this scheduler's clock: the system's monotonic clock, or the virtual clock of a
    /// simulation. Deadlines for this scheduler's waits and timers count from it.
    public var now: ContinuousClock.Instant {
        clock.now
    }

    package var simulation: Simulation? {
        guard clock.isVirtual else { return nil }
        return simulationBox.withLockedValue { $0 }
    }
}
