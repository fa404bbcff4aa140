import NIOConcurrencyHelpers
import Synchronization

/// Jobs run, by kind: counted locally during a turn, added to the scheduler's totals once.
/// Plain fields, not an array, so that counting allocates nothing.
struct JobCounts {
    private(set) var sync = 0
    private(set) var async = 0
    private(set) var future = 0
    private(set) var after = 0
    private(set) var pipe = 0
    private(set) var total = 0
    /// Of `total`, slices of suspended jobs (not jobs of their own).
    private(set) var slices = 0

    init() {}

    init(kind: JobKind) {
        add(kind)
    }

    /// A slice of a job that suspended before: it counts toward a turn's length, not as a job.
    mutating func addSlice() {
        total += 1
        slices += 1
    }

    mutating func add(_ kind: JobKind) {
        switch kind {
        case .sync: sync += 1
        case .async: async += 1
        case .future: future += 1
        case .after: after += 1
        case .pipe: pipe += 1
        }
        total += 1
    }

    subscript(kind: JobKind) -> Int {
        switch kind {
        case .sync: sync
        case .async: async
        case .future: future
        case .after: after
        case .pipe: pipe
        }
    }
}

/// The scheduler's running totals.
final class JobTotals: Sendable {
    private let sync = Atomic<Int>(0)
    private let async = Atomic<Int>(0)
    private let future = Atomic<Int>(0)
    private let after = Atomic<Int>(0)
    private let pipe = Atomic<Int>(0)
    private let byCallers = Atomic<Int>(0)
    /// `sync` jobs that ran inline, without the lock: counted by each queue (see `InlineSyncs`).
    let inlineSyncs = InlineSyncs()

    private func add(_ count: Int, to kind: JobKind) {
        switch kind {
        case .sync: sync.add(count, ordering: .relaxed)
        case .async: async.add(count, ordering: .relaxed)
        case .future: future.add(count, ordering: .relaxed)
        case .after: after.add(count, ordering: .relaxed)
        case .pipe: pipe.add(count, ordering: .relaxed)
        }
    }

    private func load(_ kind: JobKind) -> Int {
        switch kind {
        case .sync: sync.load(ordering: .relaxed)
        case .async: async.load(ordering: .relaxed)
        case .future: future.load(ordering: .relaxed)
        case .after: after.load(ordering: .relaxed)
        case .pipe: pipe.load(ordering: .relaxed)
        }
    }

    func add(_ counts: JobCounts, onPoolThread: Bool) {
        guard counts.total > 0 else { return }
        for kind in JobKind.allCases {
            let count = counts[kind]
            if count > 0 { add(count, to: kind) }
        }
        if !onPoolThread, counts.total > counts.slices { byCallers.add(counts.total - counts.slices, ordering: .relaxed) }
    }

    /// Totals by kind, total, and run by callers, with inline `sync`s included (they always run on
    /// the caller's thread).
    var snapshot: (perKind: [JobKind: Int], total: Int, byCallers: Int) {
        let inline = inlineSyncs.total
        var perKind: [JobKind: Int] = [:]
        for kind in JobKind.allCases { perKind[kind] = load(kind) }
        perKind[.sync, default: 0] += inline
        return (perKind, perKind.values.reduce(0, +), byCallers.load(ordering: .relaxed) + inline)
    }
}

/// The inline `sync`s of one scheduler's queues. Each queue counts its own
/// (`QueueCore.inlineSyncs`), written only by the queue's owner: a plain load and store on a cache
/// line the `sync` touches anyway, where a shared atomic counter would cost a locked
/// read-modify-write per `sync` (as much as the rest of it) and bounce between threads. The
/// scheduler sums the live queues' counts, and keeps what queues counted before they went away.
final class InlineSyncs: @unchecked Sendable {
    // @unchecked: the queues are held unretained (a strong reference would keep every object
    // alive; a weak one would make retaining a queue slow). Each queue removes itself in its
    // deinit, under `state`'s lock, and `total` reads the queues under the same lock, so it never
    // reads one that is gone.
    private struct State {
        var live: [ObjectIdentifier: Unmanaged<QueueCore>] = [:]
        var retired = 0
    }

    private let state = NIOLockedValueBox(State())

    func register(_ queue: QueueCore) {
        state.withLockedValue { $0.live[ObjectIdentifier(queue)] = Unmanaged.passUnretained(queue) }
    }

    /// Called from the queue's deinit: nobody owns it any more, so its count is final.
    func retire(_ queue: QueueCore) {
        state.withLockedValue { state in
            state.live[ObjectIdentifier(queue)] = nil
            state.retired += queue.inlineSyncs.load(ordering: .relaxed)
        }
    }

    var total: Int {
        state.withLockedValue { state in
            state.live.values.reduce(state.retired) { sum, queue in
                sum + queue._withUnsafeGuaranteedRef { $0.inlineSyncs.load(ordering: .relaxed) }
            }
        }
    }
}
