import Desync
@testable import desync_lua
import Testing

/// `--simulate`, `--explore`, `--pct`, `--pct-steps`, `--explore-timeout` as parsed (issue 15).
@Suite struct SimulationOptionsTests {
    private func options(_ arguments: String...) -> CommandLineOptions? { ParsedOptions.run(arguments) }
    private func usageError(_ arguments: String...) -> String? { ParsedOptions.usageError(arguments) }

    @Test func simulateTakesASeedFromZeroToUInt64Max() throws {
        #expect(options("--simulate", "0", "s.lua")?.simulation.schedule == SimulatedSchedule(seed: 0))
        #expect(options("--simulate=42")?.simulation.seed == 42)
        #expect(options("--simulate", "18446744073709551615")?.simulation.seed == UInt64.max)
        let parsed = try #require(options("--simulate", "3", "--pct", "2", "-i"))
        #expect(parsed.simulation.schedule == SimulatedSchedule(seed: 3, strategy: .pct(depth: 2, steps: SimulatedSchedule.defaultPCTSteps)))
        #expect(parsed.interactive)
        #expect(options("--pct-steps", "50", "--simulate", "3", "--pct=4")?.simulation.strategy == .pct(depth: 4, steps: 50))
    }

    @Test func badSeeds() {
        let rule = "(a seed is a whole number from 0 to 18446744073709551615)"
        #expect(usageError("--simulate", "x") == "invalid seed 'x' \(rule)")
        #expect(usageError("--simulate", "-1") == "invalid seed '-1' \(rule)")
        #expect(usageError("--simulate=-1") == "invalid seed '-1' \(rule)")
        #expect(usageError("--simulate", "1.5") == "invalid seed '1.5' \(rule)")
        #expect(usageError("--simulate", "+5") == "invalid seed '+5' \(rule)")
        #expect(usageError("--simulate", "") == "invalid seed '' \(rule)")
        #expect(usageError("--simulate", "18446744073709551616") == "invalid seed '18446744073709551616' \(rule)")
        #expect(usageError("--simulate") == "'--simulate' needs argument")
        #expect(usageError("--simulate", "-e") == "'--simulate' needs argument")
    }

    @Test func badCounts() {
        let explore = "('--explore' runs seeds 1 to N: N is a whole number from 1 to \(Int.max))"
        #expect(usageError("--explore", "0", "s.lua") == "invalid schedule count '0' \(explore)")
        #expect(usageError("--explore", "x", "s.lua") == "invalid schedule count 'x' \(explore)")
        #expect(usageError("--explore", "-2", "s.lua") == "invalid schedule count '-2' \(explore)")
        #expect(usageError("--explore") == "'--explore' needs argument")
        #expect(usageError("--simulate", "1", "--pct", "-1") == "invalid PCT depth '-1' (a whole number from 1 to 1000)")
        #expect(usageError("--simulate", "1", "--pct", "0") == "invalid PCT depth '0' (a whole number from 1 to 1000)")
        #expect(usageError("--simulate", "1", "--pct", "x") == "invalid PCT depth 'x' (a whole number from 1 to 1000)")
        #expect(usageError("--simulate", "1", "--pct", "2", "--pct-steps", "0") == "invalid PCT step count '0' (a whole number from 1 to 1000000000)")
        #expect(usageError("--explore", "2", "--explore-timeout", "0", "s.lua") == "invalid timeout '0' (seconds, more than 0)")
        #expect(usageError("--explore", "2", "--explore-timeout", "-1", "s.lua") == "invalid timeout '-1' (seconds, more than 0)")
    }

    @Test func optionsThatNeedOthers() {
        #expect(usageError("--pct", "2", "s.lua") == "'--pct' needs '--simulate SEED' or '--explore N'")
        #expect(usageError("--pct-steps", "9", "s.lua") == "'--pct-steps' needs '--simulate SEED' or '--explore N'")
        #expect(usageError("--simulate", "1", "--pct-steps", "9") == "'--pct-steps' needs '--pct DEPTH'")
        #expect(usageError("--explore-timeout", "5", "s.lua") == "'--explore-timeout' needs '--explore N'")
        #expect(usageError("--simulate", "1", "--explore-timeout", "5") == "'--explore-timeout' needs '--explore N'")
    }

    @Test func optionsThatCannotGoTogether() {
        #expect(usageError("--simulate", "1", "--explore", "5", "s.lua") == "'--simulate' and '--explore' cannot be combined")
        let threads = "a thread count ('-t', '--threads') cannot be combined with"
        #expect(usageError("--simulate", "1", "-t", "2") == "\(threads) '--simulate' (a simulated schedule runs on one thread)")
        #expect(usageError("-t0", "--simulate", "1") == "\(threads) '--simulate' (a simulated schedule runs on one thread)")
        #expect(usageError("--threads=1", "--explore", "3", "s.lua") == "\(threads) '--explore' (a simulated schedule runs on one thread)")
        #expect(usageError("--explore", "3") == "'--explore' needs a script file")
        #expect(usageError("--explore", "3", "-e", "x=1") == "'--explore' needs a script file")
        #expect(usageError("--explore", "3", "-") == "'--explore' needs a script file (standard input cannot be read again for each seed)")
        #expect(usageError("--explore", "3", "-i", "s.lua") == "'--explore' cannot be combined with '-i' (each seed runs the script in a child process)")
        #expect(usageError("--explore", "3", "--trace", "t.json", "s.lua")
            == "'--trace' cannot be combined with '--explore' (trace one seed with '--simulate SEED --trace FILE')")
    }

    /// The children get every option but `--explore`'s own, after `--simulate SEED`; the replay
    /// command is the same line.
    @Test func childArguments() throws {
        let arguments = ["desync-lua", "-W", "--explore", "10", "--pct", "2", "--explore-timeout=5", "-e", "x=1", "--", "s.lua", "a b", "--simulate"]
        guard case .run(let parsed) = CommandLineOptions.parse(arguments) else {
            Issue.record("not parsed")
            return
        }
        #expect(parsed.simulation.exploreCount == 10 && parsed.simulation.exploreTimeout == 5)
        let explorer = Explorer(options: parsed, arguments: arguments)
        #expect(explorer.childArguments(seed: 7) == ["--simulate", "7", "-W", "--pct", "2", "-e", "x=1", "--", "s.lua", "a b", "--simulate"])
        #expect(Explorer.shellQuoted("a b") == "'a b'")
        #expect(Explorer.shellQuoted("it's") == "'it'\\''s'")
        #expect(Explorer.shellQuoted("") == "''")
        #expect(Explorer.shellQuoted("scripts/x.lua") == "scripts/x.lua")
    }
}
