/// Picks which ready queue runs next in a simulated schedule: a value, seeded, so the same seed
/// and the same sequence of questions give the same answers.
struct ScheduleChooser {
    private var random: SplitMix64
    private let strategy: SimulatedSchedule.Strategy
    /// PCT: each queue's priority (higher runs first), given when the queue is first seen.
    private var priorities: [ObjectIdentifier: Int64] = [:]
    /// PCT: the steps at which the queue about to run drops below every other, in order.
    private var changePoints: [Int] = []
    /// PCT: the change points still ahead (for tests).
    var pendingChangePoints: [Int] { changePoints }
    /// PCT: change points passed so far.
    private var changesMade = 0
    /// Picks made so far.
    private(set) var steps = 0

    init(_ schedule: SimulatedSchedule) {
        random = SplitMix64(seed: schedule.seed)
        strategy = schedule.strategy
        if case .pct(let depth, let steps) = schedule.strategy, depth > 1 {
            // Distinct steps: two change points on one step would count as one change.
            var points = Set<Int>()
            while points.count < min(depth - 1, steps) {
                points.insert(1 + Int(random.next() % UInt64(steps)))
            }
            changePoints = points.sorted()
        }
    }

    /// True when a pick needs the queues' identities, not just their count.
    var needsIdentities: Bool {
        if case .pct = strategy { true } else { false }
    }

    /// The index, among `count` ready queues (in the order they became ready; `identities`
    /// when `needsIdentities`), of the one to run.
    mutating func pick(count: Int, identities: [ObjectIdentifier]?) -> Int {
        precondition(count > 0, "desync: a pick among no queues")
        steps += 1
        switch strategy {
        case .uniform:
            return count == 1 ? 0 : Int(random.next() % UInt64(count))
        case .pct(let depth, _):
            guard let candidates = identities, candidates.count == count else {
                desyncFatal("desync: a PCT pick without the queues")
            }
            for queue in candidates where priorities[queue] == nil {
                // Above every priority a change point gives (1 ..< depth); random among the rest.
                priorities[queue] = Int64(depth) + Int64(random.next() >> 2)
            }
            var best = 0
            for index in candidates.indices.dropFirst()
            where priorities[candidates[index]]! > priorities[candidates[best]]! {
                best = index
            }
            var changed = false
            while let first = changePoints.first, first <= steps {
                changePoints.removeFirst()
                changesMade += 1
                changed = true
            }
            if changed {
                // The queue about to run drops below all others; later change points go lower.
                priorities[candidates[best]] = Int64(depth - changesMade)
                best = candidates.indices.max { priorities[candidates[$0]]! < priorities[candidates[$1]]! }!
            }
            return best
        }
    }
}

/// Sebastiano Vigna's SplitMix64: small, fast, and good enough to pick among a handful of queues;
/// its output for a seed never changes (the standard library's generator is not seedable).
package struct SplitMix64 {
    package static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var state: UInt64

    package init(seed: UInt64) {
        state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.finalise(state)
    }

    /// The generator's output function: nearby inputs give unrelated outputs, so it also mixes
    /// two numbers into one seed (`finalise(a &+ b &* increment)`).
    package static func finalise(_ state: UInt64) -> UInt64 {
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
