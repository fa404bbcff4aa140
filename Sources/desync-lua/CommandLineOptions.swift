import DesyncLua

/// The command line of `desync-lua`, parsed the way the stock `lua` 5.4 parses its own, plus
/// `-t N`/`--threads N`, `--trace FILE`, the simulated schedules (`--simulate SEED`,
/// `--explore N`, `--pct DEPTH`, `--pct-steps N`, `--explore-timeout SECONDS`) and `-h`/`--help`.
struct CommandLineOptions: Equatable {
    /// What `-e`, `-l` and `-W` ask for, run in the order given.
    enum Action: Equatable {
        case execute(String)
        case require(global: String, module: String)
        case enableWarnings
    }

    enum Script: Equatable {
        case file(String)
        case standardInput
    }

    var actions: [Action] = []
    var interactive = false
    var showVersion = false
    var ignoreEnvironment = false
    var threads: Int?
    /// `--trace FILE`: trace the whole run and save it there at exit.
    var traceFile: String?
    var script: Script?
    /// `--simulate`, `--explore`, `--pct`, `--pct-steps`, `--explore-timeout`.
    var simulation = SimulationOptions()
    /// Indices in the full argument list of the tokens only `--explore` reads (`--explore N`,
    /// `--explore-timeout S`): the explored children get every other option.
    var exploreOnlyIndices: Set<Int> = []
    /// Index in the full argument list of the script: where `arg[0]` falls. Without a script it
    /// is 0, the program, and every option gets a positive index (as with `lua`).
    var scriptIndex = 0

    var hasExecute: Bool {
        actions.contains { if case .execute = $0 { true } else { false } }
    }

    enum Outcome: Equatable {
        case run(CommandLineOptions)
        case help
        /// `message` names the bad option; the caller prints it with the usage text.
        case usageError(message: String)
    }

    /// `arguments[0]` is the program, as in `CommandLine.arguments`.
    static func parse(_ arguments: [String]) -> Outcome {
        var options = CommandLineOptions()
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("-") else { break }
            switch argument {
            case "--":
                index += 1
                return options.withScript(at: index, in: arguments, dashMeansStandardInput: false).checked()
            case "-":
                return options.withScript(at: index, in: arguments, dashMeansStandardInput: true).checked()
            case "-i":
                options.interactive = true
                options.showVersion = true
            case "-v":
                options.showVersion = true
            case "-E":
                options.ignoreEnvironment = true
            case "-W":
                options.actions.append(.enableWarnings)
            case "-h", "--help":
                return .help
            default:
                let start = index
                switch takeValue(of: argument, at: &index, in: arguments) {
                case .notThisOption:
                    return .usageError(message: "unrecognized option '\(argument)'")
                case .missing(let option):
                    return .usageError(message: "'\(option)' needs argument")
                case .value(let option, let value):
                    if let error = options.apply(option, value) { return .usageError(message: error) }
                    if SimulationOptions.exploreOnly.contains(option) { options.exploreOnlyIndices.formUnion(start...index) }
                }
            }
            index += 1
        }
        return options.withScript(at: index, in: arguments, dashMeansStandardInput: true).checked()
    }

    /// `.run(self)`, or the usage error of options that cannot go together.
    private func checked() -> Outcome {
        if let problem = simulation.conflict(threads: threads, interactive: interactive, script: script,
                                             tracing: traceFile != nil) {
            return .usageError(message: problem)
        }
        return .run(self)
    }

    private enum OptionValue {
        case notThisOption
        case missing(option: String)
        case value(option: String, String)
    }

    /// Options with a value: `-e stat` or `-estat`, `-l mod` or `-lmod`, `-t N` or `-tN`,
    /// `--threads N` or `--threads=N`, `--trace FILE` or `--trace=FILE`, and the simulation's
    /// long options the same two ways (`--simulate 7`, `--simulate=7`).
    private static func takeValue(of argument: String, at index: inout Int, in arguments: [String]) -> OptionValue {
        let option: String
        var attached: String?
        if let long = (["--threads", "--trace"] + SimulationOptions.names).first(where: { argument == $0 || argument.hasPrefix($0 + "=") }) {
            option = long
            if argument != long { attached = String(argument.dropFirst(long.count + 1)) }
        } else if ["-e", "-l", "-t"].contains(String(argument.prefix(2))) {
            option = String(argument.prefix(2))
            if argument.count > 2 { attached = String(argument.dropFirst(2)) }
        } else {
            return .notThisOption
        }
        if let attached { return .value(option: option, attached) }
        // Like `lua`, a value may not start with "-": `-e -i` is a missing value, not code. A
        // negative number after `-t` is a value, though, refused by the thread-count rule: it
        // cannot be an option, and "needs argument" would hide what was wrong with it.
        let takesCount = option == "-t" || option == "--threads"
        let takesNumber = SimulationOptions.names.contains(option)
        guard index + 1 < arguments.count,
              !arguments[index + 1].hasPrefix("-") || (takesCount && Int(arguments[index + 1]) != nil)
                || (takesNumber && Double(arguments[index + 1]) != nil)
        else {
            return .missing(option: option)
        }
        index += 1
        return .value(option: option, arguments[index])
    }

    /// Returns an error message, or nil when the option is applied.
    private mutating func apply(_ option: String, _ value: String) -> String? {
        switch option {
        case "-e":
            actions.append(.execute(value))
        case "-l":
            if let equals = value.firstIndex(of: "=") {
                actions.append(.require(global: String(value[..<equals]), module: String(value[value.index(after: equals)...])))
            } else {
                actions.append(.require(global: value, module: value))
            }
        case "--trace":
            guard !value.isEmpty else { return "'--trace' needs a file name" }
            traceFile = value
        case _ where SimulationOptions.names.contains(option):
            return simulation.apply(option, value)
        default:
            switch ThreadCount.parse(value) {
            case .success(let count): threads = count
            case .failure(let problem): return problem.message
            }
        }
        return nil
    }

    private func withScript(at index: Int, in arguments: [String], dashMeansStandardInput: Bool) -> CommandLineOptions {
        var options = self
        if index < arguments.count {
            options.scriptIndex = index
            let name = arguments[index]
            options.script = name == "-" && dashMeansStandardInput ? .standardInput : .file(name)
        }
        return options
    }
}
