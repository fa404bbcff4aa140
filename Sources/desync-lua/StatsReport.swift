import Desync
import DesyncLua

/// `:stats`: the scheduler's threads and jobs, and the runtime's queued work.
enum StatsReport {
    static func text(for runtime: LuaRuntime) -> String {
        let scheduler = runtime.scheduler
        let stats = scheduler.stats
        let busyObjects = runtime.liveObjects().filter { $0.pending > 0 }
        let queuedJobs = busyObjects.reduce(0) { $0 + $1.pending }
        let byKind = JobKind.allCases.map { "\($0) \(stats.jobsRunByKind[$0] ?? 0)" }.joined(separator: ", ")
        let longest = busyObjects.max { $0.pending < $1.pending }
        let longestText = longest.map { "\($0.pending) jobs on \($0.name)" } ?? "none"
        return """
            threads: \(stats.threadsAlive) alive, \(stats.threadsBusy) busy, \(stats.threadsIdle) idle, at most \(scheduler.maxThreads)
            ready queues: \(stats.readyQueues)
            suspended jobs: \(stats.suspendedJobs) (waiting without a thread), timers pending: \(stats.timersPending)
            jobs run: \(stats.jobsRun) (\(stats.jobsRunByCallers) by waiting callers)
            jobs run by kind: \(byKind)
            objects with queued work: \(busyObjects.count) (\(queuedJobs) jobs queued)
            longest queue: \(longestText)

            """
    }
}
