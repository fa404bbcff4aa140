import Synchronization

/// Jobs run, by kind: counted locally during a turn, added to the scheduler's totals once.
struct JobCounts {
    private(set) var byKind: [Int] = Array(repeating: 0, count: JobKind.allCases.count)
    private(set) var total = 0

    init() {}

    init(kind: JobKind) {
        add(kind)
    }

    mutating func add(_ kind: JobKind) {
        byKind[Int(kind.rawValue)] += 1
        total += 1
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
            let count = counts.byKind[Int(kind.rawValue)]
            if count > 0 { add(count, to: kind) }
        }
        if !onPoolThread { byCallers.add(counts.total, ordering: .relaxed) }
    }

    var total: Int { perKind.values.reduce(0, +) }
    var runByCallers: Int { byCallers.load(ordering: .relaxed) }

    var perKind: [JobKind: Int] {
        var result: [JobKind: Int] = [:]
        for kind in JobKind.allCases { result[kind] = load(kind) }
        return result
    }
}
