import NIOConcurrencyHelpers

/// A thread waiting on a simulating scheduler from outside any job: it runs the schedule, or,
/// while another thread does, sleeps until that runner reaches its target, passes its deadline,
/// finds nothing can happen, or hands it the schedule.
final class SimulatedWaiter: Sendable {
    let target: any Waitable
    let deadline: ContinuousClock.Instant?
    private let parker = Parker()
    private let verdict = NIOLockedValueBox<Verdict?>(nil)

    enum Verdict {
        /// The wait is over: return this.
        case outcome(WaitOutcome)
        /// The runner left: this waiter runs the schedule now.
        case runner
    }

    init(target: any Waitable, deadline: ContinuousClock.Instant?) {
        self.target = target
        self.deadline = deadline
    }

    /// Sleeps until the runner decides (`decide`).
    func sleepUntilDoneOrRunner() -> Verdict {
        while true {
            if let decided = verdict.withLockedValue({ $0 }) { return decided }
            parker.park()
        }
    }

    /// The runner's decision for this sleeping waiter; the first one counts.
    func decide(_ decision: Verdict) {
        let first = verdict.withLockedValue { verdict in
            guard verdict == nil else { return false }
            verdict = decision
            return true
        }
        if first { parker.unpark() }
    }

    /// True when the runner should end this waiter's wait now: its target is reached or its
    /// deadline has passed (on `clock`).
    func outcomeIfOver(clock: SchedulerClock) -> WaitOutcome? {
        if target.isDone { return .done }
        if let deadline, clock.now >= deadline { return .timedOut }
        return nil
    }
}

extension Simulation {
    /// Stops a Swift program whose simulated wait can never end.
    static let stuckMessage = "desync: deadlock: a wait in a simulated schedule can never end: no job is ready and no timer is set (work outside desync, such as Task.sleep, a DesyncChannel or a promise completed by another thread, is not simulated)"

    /// `waiter` wants to run the schedule: true when it may (nobody runs it); else it is listed
    /// to sleep until the runner decides.
    func enter(_ waiter: SimulatedWaiter) -> Bool {
        runners.withLockedValue { state in
            if !state.running {
                state.running = true
                return true
            }
            state.sleeping.append(waiter)
            return false
        }
    }

    /// The runner's wait ended with `outcome`: a `.stuck` runner ends every sleeper's wait too
    /// (nothing can happen for them either); otherwise the longest sleeper runs the schedule next.
    func leave(_ runner: SimulatedWaiter, finding outcome: WaitOutcome) {
        let (next, stuck): (SimulatedWaiter?, [SimulatedWaiter]) = runners.withLockedValue { state in
            if outcome == .stuck {
                defer { state.sleeping.removeAll() }
                state.running = false
                return (nil, state.sleeping)
            }
            guard !state.sleeping.isEmpty else {
                state.running = false
                return (nil, [])
            }
            return (state.sleeping.removeFirst(), [])
        }
        for waiter in stuck { waiter.decide(.outcome(.stuck)) }
        next?.decide(.runner)
    }

    /// Ends the waits of sleepers whose target was reached or whose deadline passed.
    func wakeWaitersDone(clock: SchedulerClock) {
        let over: [(SimulatedWaiter, WaitOutcome)] = runners.withLockedValue { state in
            guard !state.sleeping.isEmpty else { return [] }
            var over: [(SimulatedWaiter, WaitOutcome)] = []
            state.sleeping.removeAll { waiter in
                guard let outcome = waiter.outcomeIfOver(clock: clock) else { return false }
                over.append((waiter, outcome))
                return true
            }
            return over
        }
        for (waiter, outcome) in over { waiter.decide(.outcome(outcome)) }
    }

    /// The earliest of `deadline` and the sleepers' deadlines: where virtual time may jump.
    func earliestDeadline(with deadline: ContinuousClock.Instant?) -> ContinuousClock.Instant? {
        runners.withLockedValue { state in
            ([deadline] + state.sleeping.map(\.deadline)).compactMap { $0 }.min()
        }
    }
}

/// Who runs a simulated schedule now, and who sleeps until it is their turn.
struct SimulationRunners {
    var running = false
    var sleeping: [SimulatedWaiter] = []
}
