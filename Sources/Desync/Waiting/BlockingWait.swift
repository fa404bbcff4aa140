/// How a wait ended.
package enum WaitOutcome: Equatable, Sendable {
    /// The target was reached.
    case done
    /// The deadline passed first.
    case timedOut
    /// The stop check asked to stop (Ctrl-C in the Lua host).
    case stopped
    /// The driver reported that nothing can ever reach the target.
    case stuck
    /// The wait would wait for itself: for work this thread holds, or around a cycle of waits.
    /// Only with ``BlockingWait/DeadlockHandling/report``; the message says which.
    case deadlock(String)
}

/// The one blocking wait: every thread that blocks in desync (a `sync` behind a busy queue, a
/// future's `wait()`, the Lua host's waits) waits here.
///
/// The waiter asks the target's driver to run the work the target waits on when no other thread
/// runs it, so waits complete with 0 pool threads; when that work waits for something else first
/// (a queue paused behind an `after`), it follows that, link by link, keeping the links it passed
/// on the heap, so a chain of any length needs no stack. Otherwise it sleeps until the target, or
/// the queue it sleeps on, wakes it.
package enum BlockingWait {
    /// The longest a waiter sleeps when something it must notice will not wake it: a stop check
    /// (Ctrl-C), or a driver that cannot announce new work (`DriveStep.poll`).
    package static let slice = Duration.milliseconds(50)

    /// Waits until `target` is reached, the deadline passes, `stop` returns true (checked at
    /// least once a slice, and between the jobs the waiter runs), or the driver reports that
    /// nothing can reach it.
    ///
    /// - Parameters:
    ///   - driver: what to run to reach the target; by default the target's own driver.
    ///   - deadline: nil waits without limit. A waiter with a deadline runs queued jobs only
    ///     when no pool thread would: a job it started runs to its end, which could outlast
    ///     the deadline.
    ///   - stop: nil when the wait cannot be stopped.
    ///   - fallback: other work this thread may run when the target's own work is not there to
    ///     run (the Lua runtime with 0 pool threads runs any object's queued jobs, which may feed
    ///     what it waits for); its `.stuck` ends the wait.
    package static func wait(
        for target: any Waitable,
        driver: (any WaitDriver)? = nil,
        until deadline: ContinuousClock.Instant? = nil,
        stop: (() -> Bool)? = nil,
        fallback: (any WaitDriver)? = nil,
        deadlocks: DeadlockHandling = .stop
    ) -> WaitOutcome {
        if target.isDone { return .done }
        var simulated: Scheduler?
        if let scheduler = Simulation.scheduler(of: driver ?? target.driver) ?? Simulation.scheduler(of: fallback) {
            // From inside a job, a simulated wait is a 0-thread wait on virtual time (below);
            // elsewhere it runs the schedule.
            guard CurrentQueue.running != nil else {
                let outcome = scheduler.simulatedWait(for: target, until: deadline, stop: stop)
                if outcome == .stuck, deadlocks == .stop { desyncFatal(Simulation.stuckMessage) }
                return outcome
            }
            simulated = scheduler
        }
        let outcome: WaitOutcome
        // From inside a job, waiting for another object's work is an edge of the wait-for graph:
        // one that closes a cycle can never end.
        if let waited = (driver ?? target.driver) as? QueueCore, let running = CurrentQueue.running, running !== waited {
            switch WaitGraph.enter(running, waitsFor: waited) {
            case .failure(let cycle):
                outcome = .deadlock("desync: deadlock: \(cycle.description)")
            case .success(let edge):
                // Off the graph as soon as the target is reached, not when this thread wakes:
                // another wait meanwhile must not see a wait that is over.
                if !target.onDone({ edge.leave() }) { edge.leave() }
                defer { edge.leave() }
                outcome = waitOnce(for: target, driver: driver, until: deadline, stop: stop, fallback: fallback, simulated: simulated)
            }
        } else {
            outcome = waitOnce(for: target, driver: driver, until: deadline, stop: stop, fallback: fallback, simulated: simulated)
        }
        if case .deadlock(let message) = outcome, deadlocks == .stop { desyncFatal(message) }
        if outcome == .stuck, simulated != nil, deadlocks == .stop { desyncFatal(Simulation.stuckMessage) }
        return outcome
    }

    /// `timeout` from now, on the clock of the scheduler that runs `target`'s work (virtual
    /// when it simulates).
    package static func deadline(after timeout: Duration, for target: any Waitable) -> ContinuousClock.Instant {
        (Simulation.scheduler(of: target.driver)?.now ?? .now) + timeout
    }

    /// What a wait that would wait for itself does.
    package enum DeadlockHandling {
        /// Stops the program with a message naming the object or the cycle: the Swift API's
        /// contract, where a wait has no error to throw.
        case stop
        /// Returns ``WaitOutcome/deadlock(_:)``: the Lua runtime raises it as a Lua error.
        case report
    }

    /// `simulated`: the wait is inside a job of this simulating scheduler: it runs what it waits
    /// for, as with 0 threads, and where it would sleep, virtual time moves to the next timer or
    /// its deadline instead (`.stuck` with neither).
    private static func waitOnce(
        for target: any Waitable, driver: (any WaitDriver)?, until deadline: ContinuousClock.Instant?,
        stop: (() -> Bool)?, fallback: (any WaitDriver)?, simulated: Scheduler?
    ) -> WaitOutcome {
        let parker = ThreadParker.current
        let limits = WaitLimits(deadline: deadline, stop: stop, clock: simulated?.clock)
        var link = Link(driver: driver ?? target.driver, target: target)
        // The links followed to reach `link`, outermost first.
        var path: [Link] = []
        var rootRegistered = false
        var lastRegistered: ObjectIdentifier?
        while !target.isDone {
            if let stop, stop() { return .stopped }
            if limits.expired { return .timedOut }
            if !path.isEmpty, link.target.isDone {
                link = path.removeLast()
                continue
            }
            var step = link.driver?.drive(toward: link.target, limits: limits, parker: parker) ?? .sleep
            if let fallback {
                switch step {
                case .sleep, .poll:
                    let other = fallback.drive(toward: link.target, limits: limits, parker: parker)
                    if case .sleep = other {} else { step = other }
                case .ran, .follow, .stuck, .deadlock:
                    break
                }
            }
            let polls: Bool
            switch step {
            case .ran:
                continue
            case .deadlock(let message):
                // Reached through queues paused behind `after`: the object waited for is not the
                // one this job belongs to; name both.
                if let waited = path.first?.driver as? QueueCore, let here = link.driver as? QueueCore,
                   message == here.reentrancyMessage {
                    return .deadlock("desync: deadlock: a wait on \(waited.label) inside a job of \(here.label): \(waited.label) is paused behind `after` until work of \(here.label) is done, which waits for this job")
                }
                return .deadlock(message)
            case .stuck where deadline == nil:
                return .stuck
            case .follow(let next) where next === target || path.contains(where: { $0.target === next }):
                // The gates lead back to where this wait started: each waits for the next, and
                // none can ever open (queues paused behind `after` jobs on each other's futures).
                return .deadlock("desync: deadlock: what this wait waits for waits, through paused queues, for itself")
            case .follow(let next) where next !== link.target:
                path.append(link)
                link = Link(driver: next.driver, target: next)
                continue
            case .follow, .sleep, .stuck:
                // A timed wait that nothing can complete just sleeps out its time: it never hangs.
                polls = false
            case .poll:
                polls = true
            }
            if let simulated {
                // Nothing here can run: only time can bring more.
                if simulated.advanceVirtualTime(upTo: deadline) { continue }
                return deadline == nil ? .stuck : .timedOut
            }
            if !rootRegistered {
                guard target.addWaiter(parker) else { break }
                rootRegistered = true
            }
            let sleepingOn = ObjectIdentifier(link.target)
            if link.target !== target, lastRegistered != sleepingOn {
                guard link.target.addWaiter(parker) else { continue }
                lastRegistered = sleepingOn
            }
            park(parker, deadline: deadline, slice: polls || stop != nil, holdsNoDriver: link.driver == nil)
        }
        return .done
    }

    /// A target and what drives it, on the way from the waited target to the work it needs.
    private struct Link {
        let driver: (any WaitDriver)?
        let target: any Waitable
    }

    /// Sleeps until woken, the deadline, or (with `slice`) one slice. A pool thread that sleeps
    /// on something no queue of ours drives (a promise) lets its pool start a stand-in thread
    /// meanwhile: what would wake it may need one.
    private static func park(_ parker: Parker, deadline: ContinuousClock.Instant?, slice: Bool, holdsNoDriver: Bool) {
        var wakeAt = deadline
        if slice {
            let next = ContinuousClock.now + Self.slice
            wakeAt = wakeAt.map { min($0, next) } ?? next
        }
        let sleep = {
            if let wakeAt { _ = parker.park(until: wakeAt) } else { parker.park() }
        }
        if holdsNoDriver {
            Scheduler.blockingOutside(sleep)
        } else {
            sleep()
        }
    }
}
