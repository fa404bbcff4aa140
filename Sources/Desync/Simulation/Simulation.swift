import NIOConcurrencyHelpers
import Synchronization

/// A scheduler's simulated schedule in progress: the seeded chooser, and how many schedulers of
/// the process simulate (so that waits on the others pay one atomic load to know it).
package final class Simulation: Sendable {
    package let schedule: SimulatedSchedule
    private let chooser: NIOLockedValueBox<ScheduleChooser>
    /// Who runs the schedule (`SimulatedWaiter`).
    let runners = NIOLockedValueBox(SimulationRunners())

    /// Schedulers of this process that simulate. Never goes down: a scheduler simulates for the
    /// rest of its life.
    static let simulatingSchedulers = Atomic<Int>(0)

    /// The simulating scheduler that runs `driver`'s work, if any: one atomic load when no
    /// scheduler of the process simulates (every wait asks).
    @inline(__always)
    static func scheduler(of driver: (any WaitDriver)?) -> Scheduler? {
        guard simulatingSchedulers.load(ordering: .acquiring) > 0 else { return nil }
        return driver?.simulatingScheduler
    }

    /// Virtual time that passes after each pick (jobs themselves take none): small, but enough
    /// that a trace of a simulated run draws each job at a time of its own.
    static let jobDuration: Int64 = 1_000

    init(_ schedule: SimulatedSchedule) {
        self.schedule = schedule
        let chooser = ScheduleChooser(schedule)
        needsIdentities = chooser.needsIdentities
        self.chooser = NIOLockedValueBox(chooser)
    }

    /// True when a pick needs the ready queues' identities (PCT), not just their count.
    let needsIdentities: Bool

    /// Picks the next queue to run among `count` ready ones (see `ScheduleChooser.pick`).
    func pick(count: Int, identities: [ObjectIdentifier]?) -> Int {
        chooser.withLockedValue { $0.pick(count: count, identities: identities) }
    }

    /// Picks made so far: the steps of the schedule.
    package var steps: Int { chooser.withLockedValue { $0.steps } }
}
