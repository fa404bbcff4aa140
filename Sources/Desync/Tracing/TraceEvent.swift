/// One job as the scheduler saw it, recorded while tracing is on.
public struct TraceEvent: Sendable, Equatable {
    /// The object's label (``Desync/init(_:label:scheduler:)``).
    public let object: String
    /// The call that queued the job.
    public let kind: JobKind
    /// When the job was queued, in nanoseconds since tracing started (on the scheduler's clock:
    /// virtual when it simulates).
    public let queued: UInt64
    /// When the job started running.
    public let started: UInt64
    /// When the job finished, or, for a job ``stillRunning``, when the trace was taken.
    public let finished: UInt64
    /// A small number naming the thread that ran the job (1, 2, ...: in order of first use).
    public let thread: Int
    /// True on a pool thread; false when a waiting caller (`sync`, `wait`) ran it itself.
    public let onPoolThread: Bool
    /// True for a slice of a job that suspended and resumed: then `queued` is when it began to
    /// wait, and `queued...started` is the wait, during which it held its object's queue and no
    /// thread.
    public var resumes = false
    /// True when the trace was taken while the job ran: `finished` is when it was taken.
    public var stillRunning = false
    /// In a simulated run (``Scheduler/simulate(_:)``), the ready queues the schedule picked
    /// this job's queue among (labels, in the order they became ready; past 63, the rest as
    /// one "+N more"); empty when there was no pick (a `sync` that ran at once, a scheduler that
    /// does not simulate).
    public var readyQueues: [String] = []
}

extension JobKind {
    /// The lowercase name used in traces and statistics: "sync", "async", ...
    public var name: String {
        switch self {
        case .sync: "sync"
        case .async: "async"
        case .future: "future"
        case .after: "after"
        case .pipe: "pipe"
        }
    }
}
