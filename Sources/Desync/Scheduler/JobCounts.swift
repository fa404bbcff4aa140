import NIOConcurrencyHelpers
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Jobs run, by kind: counted locally during a turn, added to the scheduler's totals once.
/// Plain fields, not an array, so that counting allocates nothing.
struct JobCounts {
    private(set) var sync = 0
    private(set) var async = 0
    private(set) var future = 0
    private(set) var after = 0
    private(set) var pipe = 0
    private(set) var total = 0

    init() {}

    init(kind: JobKind) {
        add(kind)
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
    /// `sync` jobs that ran inline without the lock, counted per thread (see `InlineSyncTally`).
    let inlineSyncs = InlineSyncTallies()

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
        if !onPoolThread { byCallers.add(counts.total, ordering: .relaxed) }
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

/// The inline `sync`s one thread ran for one scheduler. A shared atomic counter would cost a
/// locked read-modify-write per `sync`, several times the rest of an uncontended `sync`, and
/// bounce its cache line between threads; a counter that only its own thread writes costs a
/// plain load and store.
final class InlineSyncTally: Sendable {
    /// Which `InlineSyncTallies` this counts for (ids are never reused, unlike addresses).
    let tallyID: UInt64
    /// Where to fold the count when the thread exits or moves on to another scheduler.
    private let home: WeakTallies
    /// Written only by the thread that owns this tally (relaxed load and store, no locked
    /// instruction); read by `InlineSyncTallies.total` from any thread.
    let count = Atomic<Int>(0)

    init(for tallies: InlineSyncTallies) {
        tallyID = tallies.id
        home = WeakTallies(tallies)
    }

    func bump() {
        count.store(count.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
    }

    /// The owning thread stops using this tally: its count goes to the scheduler's totals.
    func retire() {
        home.tallies?.retire(self)
    }

    private final class WeakTallies: Sendable {
        // A class around `weak let`: the tally must not keep a scheduler's totals alive.
        weak let tallies: InlineSyncTallies?
        init(_ tallies: InlineSyncTallies) { self.tallies = tallies }
    }

    /// The calling thread's tally, for one scheduler at a time (a thread seldom uses more than
    /// one): switching schedulers retires the old tally and registers a new one.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { pointer in
            #if canImport(Darwin)
            let tally = Unmanaged<InlineSyncTally>.fromOpaque(pointer).takeRetainedValue()
            #else
            guard let pointer else { return }
            let tally = Unmanaged<InlineSyncTally>.fromOpaque(pointer).takeRetainedValue()
            #endif
            tally.retire()
        }
        precondition(status == 0, "desync: cannot create a thread-local key")
        return key
    }()

    /// Counts one inline `sync` on the calling thread for `tallies`.
    static func count(for tallies: InlineSyncTallies) {
        if let pointer = pthread_getspecific(key) {
            let tally = Unmanaged<InlineSyncTally>.fromOpaque(pointer).takeUnretainedValue()
            if tally.tallyID == tallies.id {
                tally.bump()
                return
            }
            Unmanaged<InlineSyncTally>.fromOpaque(pointer).release()
            tally.retire()
        }
        let tally = tallies.register()
        pthread_setspecific(key, Unmanaged.passRetained(tally).toOpaque())
        tally.bump()
    }
}

/// One scheduler's inline `sync` counts: the live threads' tallies, and what retired ones counted.
final class InlineSyncTallies: Sendable {
    private static let nextID = Atomic<UInt64>(1)

    let id = InlineSyncTallies.nextID.add(1, ordering: .relaxed).oldValue
    private let state = NIOLockedValueBox<(live: [ObjectIdentifier: InlineSyncTally], retired: Int)>(([:], 0))

    func register() -> InlineSyncTally {
        let tally = InlineSyncTally(for: self)
        state.withLockedValue { $0.live[ObjectIdentifier(tally)] = tally }
        return tally
    }

    /// Called by the tally's own thread, the only writer of its count, so the count is final.
    /// Moved under the lock that `total` reads under: no reader counts it twice or not at all.
    func retire(_ tally: InlineSyncTally) {
        state.withLockedValue { state in
            guard state.live.removeValue(forKey: ObjectIdentifier(tally)) != nil else { return }
            state.retired += tally.count.load(ordering: .relaxed)
        }
    }

    var total: Int {
        state.withLockedValue { state in
            state.live.values.reduce(state.retired) { $0 + $1.count.load(ordering: .relaxed) }
        }
    }
}
