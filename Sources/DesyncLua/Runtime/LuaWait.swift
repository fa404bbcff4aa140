import Desync
import NIOConcurrencyHelpers

/// How a Lua call blocks: a thin call of the core's one wait (`BlockingWait`), with Ctrl-C as
/// its stop check and, with 0 pool threads, every object's queued work as what it may run.
///
/// The host (the script's state) waits interruptibly: Ctrl-C stops the wait with
/// "interrupted!". A job that the host's thread runs while it waits (0 pool threads, or a `sync`
/// that runs the queue itself) is stopped too, but leaves the interrupt for the host's own wait,
/// which raises it in the host's code. Jobs on pool threads wait without a stop check.
struct LuaWait {
    let runtime: RuntimeCore
    /// The caller is the host state (a job the host runs is not, even on the host's thread).
    let isHost: Bool

    /// Waits until `target` is reached; false when `deadline` passed first. Throws "interrupted!",
    /// or, when nothing can ever reach the target (0 pool threads and no queued work that could),
    /// an error that says so: `stuck` names what was waited for.
    func wait(
        for target: any Waitable, driver: (any WaitDriver)? = nil,
        until deadline: ContinuousClock.Instant?, stuck: @autoclosure () -> String
    ) throws(LuaError) -> Bool {
        try wait(for: target, driver: driver, until: deadline, fallback: RuntimeWork(runtime: runtime), stuck: stuck())
    }

    /// Sleeps until `deadline` (`desync.sleep`), running nothing meanwhile (but the schedule,
    /// when the scheduler simulates: its jobs run on this thread, and virtual time moves only
    /// when none is ready); Ctrl-C stops it.
    func sleep(until deadline: ContinuousClock.Instant) throws(LuaError) {
        let simulated = runtime.scheduler.isSimulated
        _ = try wait(for: NeverReached(), until: deadline, fallback: simulated ? RuntimeWork(runtime: runtime) : nil, stuck: "sleep")
    }

    private func wait(
        for target: any Waitable, driver: (any WaitDriver)? = nil, until deadline: ContinuousClock.Instant?,
        fallback: (any WaitDriver)?, stuck: @autoclosure () -> String
    ) throws(LuaError) -> Bool {
        let outcome = BlockingWait.wait(
            for: target, driver: driver, until: deadline, stop: stopCheck, fallback: fallback, deadlocks: .report)
        switch outcome {
        case .deadlock(let message):
            throw LuaError(message: message.hasPrefix("desync: ") ? String(message.dropFirst(8)) : message)
        case .done where isHost && runtime.takeInterrupt():
            // Reached, but Ctrl-C came meanwhile (it may have stopped a job this wait ran).
            throw .interrupted
        case .done: return true
        case .timedOut: return false
        case .stopped:
            if isHost { _ = runtime.takeInterrupt() }
            throw .interrupted
        case .stuck:
            throw LuaError(message: "\(stuck()): nothing can make progress (no queued job can run, and every job left waits for something only a job could bring); this wait would never end")
        }
    }

    /// Ctrl-C reaches waits on the host's thread only: a pool thread's wait is never sliced.
    /// Between slices the host also fills its `stream.from` generators that others wait for
    /// (a demand wakes it, see `GeneratorDemand`).
    private var stopCheck: (() -> Bool)? {
        guard isHost || runtime.isOnHostThread else { return nil }
        let runtime = self.runtime
        return {
            _ = runtime.refillHostGeneratorsIfWanted()
            return runtime.interruptRequested.load(ordering: .relaxed)
        }
    }

    /// The deadline `seconds` from now on `runtime`'s clock (virtual when its scheduler
    /// simulates); nil for no limit. At most about 31 years (`math.huge` waits "forever").
    static func deadline(after seconds: Double?, on runtime: RuntimeCore) -> ContinuousClock.Instant? {
        seconds.map { runtime.scheduler.now + duration($0) }
    }

    /// Seconds as a duration, at most about 31 years.
    static func duration(_ seconds: Double) -> Duration {
        .nanoseconds(Int64((min(seconds, 1e9) * 1e9).rounded(.up)))
    }
}

/// What a Lua wait may run besides its target's own work: with 0 pool threads, nothing runs
/// queued work unless a waiting thread does, and the work that would reach the target may be on
/// any object (a job that sends to the stream the waiter reads). When there is none and no pool
/// thread is left to finish what is running, the wait can never end: it reports `.stuck`.
final class RuntimeWork: WaitDriver {
    private let runtime: RuntimeCore
    /// Since when every job left has looked suspended with nothing that could resume it (one
    /// waiter drives this; the box makes the class Sendable, as drivers are).
    private let allSuspendedSince = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    /// How long that must hold before the wait gives up: the state is read in pieces (threads,
    /// queues, timers), so one reading can catch a thread between two of them.
    static let settleTime = Duration.milliseconds(200)

    init(runtime: RuntimeCore) {
        self.runtime = runtime
    }

    var simulatingScheduler: Scheduler? {
        runtime.scheduler.isSimulated ? runtime.scheduler : nil
    }

    func drive(toward target: any Waitable, limits: WaitLimits, parker: Parker) -> DriveStep {
        let scheduler = runtime.scheduler
        guard !scheduler.runsQueuedWork else { return onlySuspendedJobsLeft() }
        // Read before looking for work: a timer whose callbacks make a queue ready after this
        // reading moves the count once they have run, and counts as waited for until then, so
        // either the look finds the queue or the checks below see the timer. (A cheap reading:
        // this runs between every turn of jobs the waiter runs.)
        let firings = scheduler.timers.firings
        if runtime.refillHostGeneratorsIfWanted() || runtime.runQueuedWorkHere() { return .ran }
        // A pool thread still finishing its turn after `set_max_threads(0)` may yet feed it, and
        // a timer may yet resume a suspended job.
        guard scheduler.stats.threadsAlive == 0, scheduler.timers.firings == firings else { return .poll }
        return scheduler.timers.waitedCount == 0 ? .stuck : .poll
    }
}

extension RuntimeWork {
    /// With pool threads: `.stuck` once every unfinished job has been suspended for a while with
    /// nothing left that could resume it (no thread running or blocked, no queue ready, no
    /// timer set, no generator of the host to fill): a wait on such a job, the batch run's final
    /// wait included, would never end. Otherwise the wait sleeps, looking again each slice while
    /// jobs are suspended.
    private func onlySuspendedJobsLeft() -> DriveStep {
        let stats = runtime.scheduler.stats
        guard stats.suspendedJobs > 0 else {
            allSuspendedSince.withLockedValue { $0 = nil }
            return .sleep
        }
        if runtime.refillHostGeneratorsIfWanted() {
            allSuspendedSince.withLockedValue { $0 = nil }
            return .ran
        }
        let quiet = stats.threadsBusy == 0 && stats.threadsBlocked == 0 && stats.readyQueues == 0
            && runtime.scheduler.timers.waitedCount == 0
        let now = ContinuousClock.now
        return allSuspendedSince.withLockedValue { since in
            guard quiet else {
                since = nil
                return .poll
            }
            guard let start = since else {
                since = now
                return .poll
            }
            return now - start >= Self.settleTime ? .stuck : .poll
        }
    }
}

/// A target that is never reached: a wait on it lasts until its deadline (`desync.sleep`).
final class NeverReached: Waitable {
    var isDone: Bool { false }
    func addWaiter(_ parker: Parker) -> Bool { true }
    func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool { true }
}
