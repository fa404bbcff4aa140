import NIOConcurrencyHelpers
import Synchronization

/// A scheduler's simulated schedule in progress: the seeded chooser, and how many schedulers of
/// the process simulate (so that waits on the others pay one atomic load to know it).
package final class Simulation: Sendable {
    package let schedule: SimulatedSchedule
    private let chooser: NIOLockedValueBox<ScheduleChooser>

    /// Schedulers of this process that simulate. Never goes down: a scheduler simulates for the
    /// rest of its life.
    static let simulatingSchedulers = Atomic<Int>(0)

    /// Virtual time that passes after each pick (jobs themselves take none): small, but enough
    /// that a trace of a simulated run draws each job at a time of its own.
    static let jobDuration: Int64 = 1_000

    init(_ schedule: SimulatedSchedule) {
        self.schedule = schedule
        chooser = NIOLockedValueBox(ScheduleChooser(schedule))
    }

    /// Picks the next queue to run among `candidates` (identities, in the order they became ready).
    func pick(_ candidates: [ObjectIdentifier]) -> Int {
        chooser.withLockedValue { $0.pick(candidates) }
    }

    /// Picks made so far: the steps of the schedule.
    package var steps: Int { chooser.withLockedValue { $0.steps } }
}
