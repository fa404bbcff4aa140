/// How a simulated ``Scheduler`` picks the next job: everything runs on the thread that waits,
/// and at every job boundary (and every resume of a suspended job) a generator seeded with
/// ``seed`` picks which ready queue runs next. The same seed, with the same program, gives the
/// same interleaving.
public struct SimulatedSchedule: Sendable, Equatable, CustomStringConvertible {
    /// How the next ready queue is picked.
    public enum Strategy: Sendable, Equatable {
        /// Each ready queue equally likely at every pick.
        case uniform
        /// Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS 2010): each queue gets a
        /// random priority when it is first seen and the highest-priority ready queue runs;
        /// at `depth - 1` steps chosen at random among the first `steps`, the queue about to run
        /// drops below every other. Finds any ordering bug of depth `depth` with probability at
        /// least 1 / (queues x steps^(depth-1)) per run.
        case pct(depth: Int, steps: Int)
    }

    /// The generator's seed.
    public var seed: UInt64
    /// How each pick is made.
    public var strategy: Strategy

    /// A schedule that picks with `strategy`, its draws seeded with `seed`.
    public init(seed: UInt64, strategy: Strategy = .uniform) {
        self.seed = seed
        self.strategy = strategy
    }

    /// The steps a PCT schedule spreads its change points over, unless told otherwise.
    public static let defaultPCTSteps = 1000
    /// The deepest PCT schedule: bugs of depth 3 or so are what PCT finds; a depth near its
    /// step count would only cost memory and time to draw.
    public static let maxPCTDepth = 1000
    /// The most steps a PCT schedule spreads its change points over.
    public static let maxPCTSteps = 1_000_000_000

    /// "seed 42", or "seed 42, PCT depth 3 over 1000 steps".
    public var description: String {
        switch strategy {
        case .uniform: "seed \(seed)"
        case .pct(let depth, let steps): "seed \(seed), PCT depth \(depth) over \(steps) steps"
        }
    }
}

/// Why a scheduler cannot start simulating now.
public struct SimulationRefused: Error, Equatable, CustomStringConvertible {
    /// What is in the way ("2 jobs are queued or running", ...).
    public let reason: String

    /// "cannot simulate: " and the reason.
    public var description: String { "cannot simulate: \(reason)" }
}
