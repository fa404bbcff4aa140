/// What a blocked thread may run, on its own thread, to reach what it waits for: a queue whose
/// jobs nobody runs (a pool of 0 threads, or every pool thread busy), the pipes feeding a stream.
///
/// This is the one answer to "can this wait deadlock with 0 threads?": a wait sleeps only when
/// its driver says another thread has the work (`.sleep`), or that it cannot tell (`.poll`).
package protocol WaitDriver: AnyObject, Sendable {
    /// Runs some of the work `target` waits on, here, if the rules allow it and nobody else runs
    /// it; or names what must be reached first; or tells the waiter to sleep. Before it returns
    /// `.sleep`, it registers `parker` wherever a change that could let the waiter run more is
    /// announced (a queue becoming ready).
    func drive(toward target: any Waitable, limits: WaitLimits, parker: Parker) -> DriveStep

    /// The simulating scheduler (``Scheduler/simulate(_:)``) whose jobs this driver runs, if it
    /// simulates: a wait then runs that scheduler's schedule instead.
    var simulatingScheduler: Scheduler? { get }
}

extension WaitDriver {
    package var simulatingScheduler: Scheduler? { nil }
}

/// What a driver did for a waiter.
package enum DriveStep {
    /// It ran work here: look again at once.
    case ran
    /// The work waits for another target first (a queue paused behind an `after`): drive that one.
    case follow(any Waitable)
    /// Another thread has the work, or this waiter may not run it: sleep until woken.
    case sleep
    /// Work may appear that nothing announces: sleep at most one slice, then drive again.
    case poll
    /// Nothing can ever reach the target: no thread will run what it waits for (the Lua runtime
    /// with 0 pool threads, where this thread is the only one).
    case stuck
    /// The work to drive is held by this very thread (a job waiting, directly or through a chain
    /// of gates, for its own object): the wait can never end. The message names the object.
    case deadlock(String)
}

/// The bounds of one wait, which a driver must respect.
package struct WaitLimits {
    /// When the waiter gives up; nil for never.
    package var deadline: ContinuousClock.Instant?
    /// The wait's stop check (Ctrl-C): a driver running jobs looks at it between jobs.
    package var stop: (() -> Bool)?
    /// The clock the deadline is on: a simulating scheduler's (virtual), or nil for the system's.
    package var clock: SchedulerClock?

    package init(deadline: ContinuousClock.Instant?, stop: (() -> Bool)? = nil, clock: SchedulerClock? = nil) {
        self.deadline = deadline
        self.stop = stop
        self.clock = clock
    }

    /// True once the deadline has passed.
    package var expired: Bool {
        guard let deadline else { return false }
        return (clock?.now ?? .now) >= deadline
    }
}
