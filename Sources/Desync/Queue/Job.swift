/// What kind of call queued a job; kept for statistics and tracing.
public enum JobKind: UInt8, Sendable, CaseIterable {
    case sync, async, future, after, pipe
}

/// One queued operation on a `T`.
struct Job<T>: Sendable {
    /// When set, the job may not start before this gate opens (`after`); the queue waits
    /// holding no thread.
    let gate: (any Gate)?
    let kind: JobKind
    let body: @Sendable (inout T) -> Void
    /// When it was queued, for tracing; 0 when tracing was off.
    var queuedAt: UInt64 = 0

    init(gate: (any Gate)?, kind: JobKind, body: @escaping @Sendable (inout T) -> Void) {
        self.gate = gate
        self.kind = kind
        self.body = body
    }
}
