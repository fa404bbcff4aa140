import Foundation

/// `desync-lua --explore N script.lua`: the script runs under seeds 1...N, each in a child
/// process of this same program with `--simulate SEED` (a fresh runtime each, one at a time),
/// until a seed fails: its exit status is not 0 (an error, a failed assert, an async error nobody
/// observed, a deadlock), a signal ends it, or it runs past the time limit. The failing seed is
/// reported with the end of its stderr and stdout and the command that replays it; passing
/// seeds' output is not shown.
struct Explorer {
    let options: CommandLineOptions
    let arguments: [String]

    /// Lines of a failed child's stderr and stdout the report shows (the ends).
    static let shownLines = 20

    func run() -> Int32 {
        guard let count = options.simulation.exploreCount else { return 1 }
        let timeout = options.simulation.exploreTimeout ?? SimulationOptions.defaultExploreTimeout
        let program = Self.executablePath(arguments[0])
        if options.scriptIndex < arguments.count {
            let script = arguments[options.scriptIndex]
            guard access(script, R_OK) == 0 else {
                // As lua.c words it, rather than every seed failing the same way.
                StandardStreams.write("\(HostInfo.programName): cannot open \(script)\n", toError: true)
                return 1
            }
        }
        ExploreInterrupt.install()
        for seed in 1...count {
            let childArguments = childArguments(seed: UInt64(seed))
            let outcome = ChildProcess.run(program, arguments: [arguments[0]] + childArguments, timeout: timeout)
            if case .notStarted(let problem) = outcome.ending {
                StandardStreams.write("\(HostInfo.programName): \(problem)\n", toError: true)
                return 1
            }
            if outcome.ending == .interrupted || ExploreInterrupt.requested {
                StandardStreams.write("\(HostInfo.programName): --explore interrupted during seed \(seed) (\(Self.passedNote(seed - 1)))\n", toError: true)
                return 130
            }
            guard outcome.ending == .exited(0) else {
                report(seed: seed, of: count, outcome, timeout: timeout, replay: [arguments[0]] + childArguments)
                return 1
            }
        }
        StandardStreams.write("explored \(Self.schedules(count)) (\(Self.seedRange(count))\(strategyNote)): all passed\n")
        return 0
    }

    /// The child's command line after `argv[0]`: `--simulate SEED`, then every option given
    /// except `--explore`'s own, then the script and its arguments, as typed.
    func childArguments(seed: UInt64) -> [String] {
        let options = (1..<max(self.options.scriptIndex, 1)).filter { !self.options.exploreOnlyIndices.contains($0) }
            .map { arguments[$0] }
        return ["--simulate", String(seed)] + options + Array(arguments[self.options.scriptIndex...])
    }

    private var strategyNote: String {
        guard case .pct(let depth, let steps) = options.simulation.strategy else { return "" }
        return ", PCT depth \(depth) over \(steps) steps"
    }

    private func report(seed: Int, of count: Int, _ outcome: ChildProcess.Outcome, timeout: Double, replay: [String]) {
        var text = ""
        if seed > 1 { text += "explored \(Self.schedules(seed - 1)) (\(Self.seedRange(seed - 1))\(strategyNote)): passed\n" }
        text += "\(HostInfo.programName): seed \(seed) of \(count) failed: \(Self.describe(outcome.ending, timeout: timeout))\n"
        text += Self.section("stderr", outcome.stderr)
        text += Self.section("stdout", outcome.stdout)
        text += "replay it with:\n  \(replay.map(Self.shellQuoted).joined(separator: " "))\n"
        StandardStreams.write(text, toError: true)
    }

    static func describe(_ ending: ChildProcess.Ending, timeout: Double) -> String {
        switch ending {
        case .exited(let status): return "exit status \(status)"
        case .signalled(let signal):
            let name = strsignal(signal).map { String(cString: $0) } ?? "signal"
            return "killed by signal \(signal) (\(name))"
        case .timedOut: return "timed out after \(seconds(timeout)) (real time; killed)"
        case .interrupted: return "interrupted"
        case .notStarted(let problem): return problem
        }
    }

    /// The last `shownLines` lines of a stream, indented, under a heading; nothing when empty.
    static func section(_ name: String, _ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "" }
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let shown = lines.suffix(shownLines)
        let heading = shown.count < lines.count || bytes.count >= ChildProcess.keptBytes
            ? "its \(name) (the last \(shown.count) lines):" : "its \(name):"
        return heading + "\n" + shown.map { "  | \($0)\n" }.joined()
    }

    static func passedNote(_ passed: Int) -> String {
        passed == 0 ? "no seed finished" : "seeds 1-\(passed) passed"
    }

    static func schedules(_ count: Int) -> String {
        count == 1 ? "1 schedule" : "\(count) schedules"
    }

    static func seedRange(_ count: Int) -> String {
        count == 1 ? "seed 1" : "seeds 1-\(count)"
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }

    /// `text` as a POSIX shell reads it back: bare when safe, else in single quotes.
    static func shellQuoted(_ text: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%")
        if !text.isEmpty, text.allSatisfy(safe.contains) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// This program's own file, so that the children are the same build: /proc/self/exe where
    /// there is one, else `argv0` as the shell would have found it.
    static func executablePath(_ argv0: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if length > 0 { return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        if let path = Bundle.main.executablePath { return path }
        return argv0
    }
}
