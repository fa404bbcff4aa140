// PLACEHOLDER: the core issue replaces this file. Signatures are final.
public final class Scheduler: Sendable {
    public static let shared = Scheduler()
    public init(maxThreads: Int? = nil) {}
    /// Upper bound on pool threads (0 allowed).
    public var maxThreads: Int {
        get { 0 }
        set {}
    }
    public var stats: SchedulerStats { SchedulerStats() }
}

public struct SchedulerStats: Sendable {
    public var threadsAlive = 0
    public var threadsBusy = 0
    public var readyQueues = 0
    public var jobsRun = 0
}
