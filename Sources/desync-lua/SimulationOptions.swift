import Desync

/// The command line's simulated schedules: `--simulate SEED` runs the script once on a seeded
/// schedule, `--explore N` runs it under seeds 1...N in child processes, `--pct DEPTH` and
/// `--pct-steps N` pick the PCT strategy for either, `--explore-timeout SECONDS` bounds each child.
struct SimulationOptions: Equatable {
    var seed: UInt64?
    var exploreCount: Int?
    var pctDepth: Int?
    var pctSteps: Int?
    /// Real seconds an explored child may run before it is killed and counts as failed.
    var exploreTimeout: Double?

    /// A child of `--explore` that runs longer than this (real time) has failed: a busy loop
    /// never ends on a virtual clock either, and a long exploration should not hang on one seed.
    static let defaultExploreTimeout = 60.0

    static let names = ["--simulate", "--explore", "--pct", "--pct-steps", "--explore-timeout"]
    /// The options the explored children do not get: the parent's own business.
    static let exploreOnly: Set<String> = ["--explore", "--explore-timeout"]

    /// Seeds run one at a time in one process, so this is what `--explore N` bounds.
    var isExploring: Bool { exploreCount != nil }

    /// The strategy `--pct` (and `--pct-steps`) ask for; uniform without them.
    var strategy: SimulatedSchedule.Strategy {
        guard let pctDepth else { return .uniform }
        return .pct(depth: pctDepth, steps: pctSteps ?? SimulatedSchedule.defaultPCTSteps)
    }

    /// The schedule of `--simulate SEED`, or nil.
    var schedule: SimulatedSchedule? {
        seed.map { SimulatedSchedule(seed: $0, strategy: strategy) }
    }

    /// Returns an error message, or nil when the option is applied.
    mutating func apply(_ option: String, _ value: String) -> String? {
        switch option {
        case "--simulate":
            // UInt64("+5") is 5 and UInt64("-0") is 0: a seed is written in digits only.
            guard value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber), let seed = UInt64(value) else {
                return "invalid seed '\(value)' (a seed is a whole number from 0 to \(UInt64.max))"
            }
            self.seed = seed
        case "--explore":
            guard let count = Self.positive(value) else {
                return "invalid schedule count '\(value)' ('--explore' runs seeds 1 to N: N is a whole number from 1 to \(Int.max))"
            }
            exploreCount = count
        case "--pct":
            guard let depth = Self.positive(value), depth <= SimulatedSchedule.maxPCTDepth else {
                return "invalid PCT depth '\(value)' (a whole number from 1 to \(SimulatedSchedule.maxPCTDepth))"
            }
            pctDepth = depth
        case "--pct-steps":
            guard let steps = Self.positive(value), steps <= SimulatedSchedule.maxPCTSteps else {
                return "invalid PCT step count '\(value)' (a whole number from 1 to \(SimulatedSchedule.maxPCTSteps))"
            }
            pctSteps = steps
        default:
            guard let seconds = Double(value), seconds.isFinite, seconds > 0 else {
                return "invalid timeout '\(value)' (seconds, more than 0)"
            }
            exploreTimeout = seconds
        }
        return nil
    }

    private static func positive(_ text: String) -> Int? {
        guard text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let count = Int(text), count >= 1 else { return nil }
        return count
    }

    /// Why these options cannot go with the rest of the command line, or nil.
    func conflict(threads: Int?, interactive: Bool, script: CommandLineOptions.Script?, tracing: Bool) -> String? {
        if seed != nil, isExploring { return "'--simulate' and '--explore' cannot be combined" }
        let simulating = seed != nil || isExploring
        if !simulating {
            if pctDepth != nil { return "'--pct' needs '--simulate SEED' or '--explore N'" }
            if pctSteps != nil { return "'--pct-steps' needs '--simulate SEED' or '--explore N'" }
            if exploreTimeout != nil { return "'--explore-timeout' needs '--explore N'" }
            return nil
        }
        let option = isExploring ? "--explore" : "--simulate"
        if pctSteps != nil, pctDepth == nil { return "'--pct-steps' needs '--pct DEPTH'" }
        if exploreTimeout != nil, !isExploring { return "'--explore-timeout' needs '--explore N'" }
        if threads != nil { return "a thread count ('-t', '--threads') cannot be combined with '\(option)' (a simulated schedule runs on one thread)" }
        guard isExploring else { return nil }
        if interactive { return "'--explore' cannot be combined with '-i' (each seed runs the script in a child process)" }
        if tracing { return "'--trace' cannot be combined with '--explore' (trace one seed with '--simulate SEED --trace FILE')" }
        switch script {
        case .file: return nil
        case .standardInput: return "'--explore' needs a script file (standard input cannot be read again for each seed)"
        case nil: return "'--explore' needs a script file"
        }
    }
}
