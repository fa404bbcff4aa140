import Foundation
import Testing

/// `desync-lua --simulate SEED` and `--explore N` as a user runs them (issue 15), on
/// scripts/examples/explore.lua: correct by default, racy with the argument `racy`.
@Suite("desync-lua --simulate and --explore")
struct SimulationHostTests {
    static let example = HostProcess.packageRoot.appendingPathComponent("scripts/examples/explore.lua").path
    static var program: String { HostProcess.executable.path }

    /// A script in a fresh temporary directory.
    private func script(_ source: String, name: String = "script.lua") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("desync-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try source.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// The seed and the replay command (split at spaces) of a failed exploration's report.
    private func failure(in stderr: String) -> (seed: Int, replay: [String])? {
        let lines = stderr.split(separator: "\n").map(String.init)
        guard let failed = lines.first(where: { $0.contains(" failed: ") && $0.contains("seed ") }),
              let seedText = failed.split(separator: " ").drop(while: { $0 != "seed" }).dropFirst().first,
              let seed = Int(seedText),
              let heading = lines.firstIndex(of: "replay it with:"), heading + 1 < lines.count
        else { return nil }
        return (seed, lines[heading + 1].trimmingCharacters(in: .whitespaces).split(separator: " ").map(String.init))
    }

    // MARK: - bad input

    @Test("bad simulation options are usage errors, status 1, with the usage text", arguments: [
        (["--simulate", "x"], "invalid seed 'x'"),
        (["--simulate", "-1"], "invalid seed '-1'"),
        (["--explore", "0", "s.lua"], "invalid schedule count '0'"),
        (["--explore", "x", "s.lua"], "invalid schedule count 'x'"),
        (["--simulate", "1", "--pct", "-1"], "invalid PCT depth '-1'"),
        (["--simulate", "1", "--pct", "0"], "invalid PCT depth '0'"),
        (["--simulate", "1", "--pct", "1001"], "invalid PCT depth '1001'"),
        (["--simulate", "1", "--pct", "3", "--pct-steps", "9223372036854775807"], "invalid PCT step count '9223372036854775807'"),
        (["--pct", "2", "s.lua"], "'--pct' needs '--simulate SEED' or '--explore N'"),
        (["--simulate", "1", "--explore", "2", "s.lua"], "'--simulate' and '--explore' cannot be combined"),
        (["--simulate", "1", "-t", "2", "-e", "print(1)"], "cannot be combined with '--simulate' (a simulated schedule runs on one thread)"),
        (["-t", "4", "--explore", "2", "s.lua"], "cannot be combined with '--explore' (a simulated schedule runs on one thread)"),
        (["--explore", "2"], "'--explore' needs a script file"),
        (["--explore", "2", "-"], "'--explore' needs a script file (standard input cannot be read again for each seed)"),
        (["--explore", "2", "-i", "s.lua"], "'--explore' cannot be combined with '-i'"),
    ])
    func badInput(arguments: [String], message: String) throws {
        let outcome = try HostProcess.run(arguments, input: "print('ran')")
        #expect(outcome.status == 1)
        #expect(outcome.stderr.hasPrefix("desync-lua: ") && outcome.stderr.contains(message), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("usage: desync-lua"))
        #expect(outcome.stdout.isEmpty, "\(outcome.stdout)")
    }

    @Test("the usage text names the simulation options")
    func usage() throws {
        let outcome = try HostProcess.run(["--help"])
        for option in ["--simulate SEED", "--explore N", "--explore-timeout S", "--pct DEPTH", "--pct-steps N"] {
            #expect(outcome.stdout.contains(option), "\(option)")
        }
    }

    // MARK: - --simulate

    @Test("--simulate starts before anything runs, LUA_INIT included")
    func simulateBeforeInit() throws {
        let outcome = try HostProcess.run(
            ["--simulate", "3", "-e", "print('e', desync.scheduler.is_simulated(), desync.scheduler.max_threads())"],
            environment: ["LUA_INIT": "print('init', desync.scheduler.is_simulated(), desync.scheduler.stats().simulated.seed)"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout == "init\ttrue\t3\ne\ttrue\t0\n")
    }

    @Test("without --simulate nothing simulates")
    func notSimulated() throws {
        let outcome = try HostProcess.run(["-e", "print(desync.scheduler.is_simulated())"])
        #expect(outcome.stdout == "false\n")
    }

    @Test("the same seed twice: byte-identical stdout and trace JSON")
    func sameSeedSameRun() throws {
        for arguments in [[Self.example], [Self.example, "racy"], ["--pct", "2", Self.example, "racy"]] {
            var outputs: [String] = []
            var traces: [Data] = []
            for _ in 0..<2 {
                let trace = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString).json")
                defer { try? FileManager.default.removeItem(at: trace) }
                let outcome = try HostProcess.run(["--simulate", "11", "--trace", trace.path] + arguments)
                outputs.append(outcome.stdout + "\u{0}" + outcome.stderr + "\u{0}\(outcome.status)")
                traces.append(try Data(contentsOf: trace))
            }
            #expect(outputs[0] == outputs[1], "\(arguments)")
            #expect(traces[0] == traces[1], "\(arguments): the traces differ")
        }
    }

    /// math.random is part of the schedule: the host state's generator too, whether the run was
    /// put on the schedule by `--simulate` or by `desync.scheduler.simulate` (in the REPL).
    @Test("the same seed draws the same math.random numbers in the host state", arguments: [
        ["--simulate", "5", "-e", "print(math.random(1 << 40), math.random())"],
        ["-e", "desync.scheduler.simulate(5); print(math.random(1 << 40), math.random())"],
    ])
    func sameSeedSameRandomNumbers(arguments: [String]) throws {
        let first = try HostProcess.run(arguments), second = try HostProcess.run(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(!first.stdout.isEmpty && first.stdout == second.stdout, "\(first.stdout) \(second.stdout)")
    }

    @Test("different seeds, different interleavings")
    func differentSeeds() throws {
        var orders: Set<String> = []
        for seed in 1...12 {
            let outcome = try HostProcess.run(["--simulate", "\(seed)", Self.example, "racy"])
            orders.insert(outcome.stdout.split(separator: "\n").first.map(String.init) ?? "")
        }
        #expect(orders.count >= 2, "\(orders)")
    }

    @Test("desync.sleep(3600) takes no real time, and desync.clock() advances by 3600")
    func virtualSleep() throws {
        let started = Date()
        let outcome = try HostProcess.run(["--simulate", "1", "-e", """
            local t0 = desync.clock()
            desync.sleep(3600)
            local f = desync.new({}):future(function() desync.sleep(1800); return desync.clock() end)
            local t1 = desync.clock()
            local t2 = f:wait()
            print(string.format("%.3f %.3f", t1 - t0, t2 - t1))
            """], timeout: 30)
        let elapsed = Date().timeIntervalSince(started)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let numbers = outcome.stdout.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        #expect(numbers.count == 2, "\(outcome.stdout)")
        if numbers.count == 2 {
            #expect(numbers[0] >= 3600 && numbers[0] < 3601, "\(outcome.stdout)")
            #expect(numbers[1] >= 1800 && numbers[1] < 1801, "\(outcome.stdout)")
        }
        #expect(elapsed < 5, "took \(elapsed) s")
    }

    // MARK: - --explore

    @Test("--explore finds the racy version's lost update within 100 seeds, and its replay fails the same way 10 times of 10")
    func exploreFindsTheRace() throws {
        let outcome = try HostProcess.run(["--explore", "100", Self.example, "racy"], timeout: 120)
        #expect(outcome.status == 1)
        #expect(outcome.stdout.isEmpty, "passing seeds' output is not shown: \(outcome.stdout)")
        let found = try #require(failure(in: outcome.stderr), "\(outcome.stderr)")
        #expect(found.replay == [Self.program, "--simulate", "\(found.seed)", Self.example, "racy"])
        #expect(outcome.stderr.contains("lost an update"), "\(outcome.stderr)")
        // The report shows the end of the failing seed's output.
        #expect(outcome.stderr.contains("its stdout:\n  | "), "\(outcome.stderr)")
        var replays: [String] = []
        for _ in 0..<10 {
            let replay = try HostProcess.run(Array(found.replay.dropFirst()))
            #expect(replay.status == 1)
            #expect(replay.stderr.contains("lost an update"), "\(replay.stderr)")
            #expect(outcome.stderr.contains(replay.stdout.split(separator: "\n").first.map { "  | \($0)\n" } ?? "?"),
                    "the replay's output is not the explored seed's: \(replay.stdout)")
            replays.append(replay.stdout + replay.stderr)
        }
        #expect(Set(replays).count == 1, "the replays differ: \(Set(replays))")
    }

    @Test("--explore with --pct: the replay command has the same strategy")
    func explorePCT() throws {
        let outcome = try HostProcess.run(["--explore", "100", "--pct", "2", "--pct-steps", "20", Self.example, "racy"], timeout: 120)
        #expect(outcome.status == 1)
        let found = try #require(failure(in: outcome.stderr), "\(outcome.stderr)")
        #expect(found.replay == [Self.program, "--simulate", "\(found.seed)", "--pct", "2", "--pct-steps", "20", Self.example, "racy"])
        let replay = try HostProcess.run(Array(found.replay.dropFirst()))
        #expect(replay.status == 1 && replay.stderr.contains("lost an update"), "\(replay.stderr)")
    }

    @Test("the correct version passes --explore 1000, with a one-line summary and none of its output")
    func exploreCorrect() throws {
        let started = Date()
        // A ThreadSanitizer build sleeps 1 s at exit (its atexit_sleep_ms): 1000 children took
        // over 600 s. The children inherit this.
        let sanitizer = (ProcessInfo.processInfo.environment["TSAN_OPTIONS"].map { $0 + " " } ?? "") + "atexit_sleep_ms=0"
        let outcome = try HostProcess.run(["--explore", "1000", Self.example], environment: ["TSAN_OPTIONS": sanitizer], timeout: 600)
        let elapsed = Date().timeIntervalSince(started)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout == "explored 1000 schedules (seeds 1-1000): all passed\n")
        #expect(outcome.stderr.isEmpty, "\(outcome.stderr)")
        print("--explore 1000 of explore.lua took \(elapsed) s")
    }

    @Test("the children get the other options and the script's arguments; stdin is /dev/null")
    func childrenGetTheOptions() throws {
        let path = try script("""
            assert(x == 1, "no -e")
            assert(select("#", ...) == 2 and select(1, ...) == "a b" and select(2, ...) == "it's")
            assert(arg[-4] == "--simulate" and math.tointeger(arg[-3]) ~= nil and arg[-2] == "-e", tostring(arg[-4]))
            assert(io.read("a") == "", "stdin is not empty")
            assert(desync.scheduler.is_simulated())
            if desync.scheduler.stats().simulated.seed == 3 then error("seed three") end
            """)
        let outcome = try HostProcess.run(["--explore", "5", "-e", "x=1", path, "a b", "it's"], input: "not for children")
        #expect(outcome.status == 1)
        let found = try #require(failure(in: outcome.stderr), "\(outcome.stderr)")
        #expect(found.seed == 3)
        #expect(outcome.stderr.contains("explored 2 schedules (seeds 1-2"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("seed three"))
        #expect(outcome.stderr.hasSuffix("\(Self.program) --simulate 3 -e x=1 \(path) 'a b' 'it'\\''s'\n"), "\(outcome.stderr)")
    }

    @Test("a child's failures: an unobserved async error, a deadlock, a signal, a time limit")
    func failureKinds() throws {
        let unobserved = try script(#"desync.new({}):async(function() error("nobody saw this") end)"#)
        var outcome = try HostProcess.run(["--explore", "3", unobserved])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("seed 1 of 3 failed: exit status 1") && outcome.stderr.contains("nobody saw this"), "\(outcome.stderr)")

        let deadlock = try script("print(desync.stream():receive())")
        outcome = try HostProcess.run(["--explore", "3", deadlock])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("seed 1 of 3 failed: ") && outcome.stderr.contains("never end"), "\(outcome.stderr)")

        let signal = try script("""
            local pid = io.open("/proc/self/stat"):read("n")
            os.execute("kill -9 " .. pid)
            while true do end
            """)
        outcome = try HostProcess.run(["--explore", "3", signal])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("seed 1 of 3 failed: killed by signal 9"), "\(outcome.stderr)")

        let spin = try script("print('spinning'); io.stdout:flush(); while true do end")
        let started = Date()
        outcome = try HostProcess.run(["--explore", "3", "--explore-timeout", "0.5", spin])
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("seed 1 of 3 failed: timed out after 0.5 s"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("  | spinning"), "\(outcome.stderr)")
    }

    /// A process the script starts in the background keeps the child's stdout open after the
    /// child exits: the seed still passes, without waiting for that process.
    @Test("a seed whose background process outlives it still passes at once")
    func backgroundProcessHoldsTheOutput() throws {
        let path = try script(#"os.execute("sleep 30 &")"#)
        let started = Date()
        let outcome = try HostProcess.run(["--explore", "2", "--explore-timeout", "20", path], timeout: 60)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout == "explored 2 schedules (seeds 1-2): all passed\n")
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test("a script that cannot be opened is said so once, not reported as a failing seed")
    func missingScript() throws {
        let outcome = try HostProcess.run(["--explore", "4", "/nonexistent/script.lua"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr == "desync-lua: cannot open /nonexistent/script.lua\n", "\(outcome.stderr)")
    }

    // MARK: - from Lua

    @Test("in a simulated REPL, what a line queued runs before the next prompt")
    func replRunsTheScheduleBetweenLines() throws {
        let outcome = try HostProcess.run(["--simulate", "4", "-i"], input: """
            o = desync.new({ n = 0 }, { name = "o" })
            for i = 1, 3 do o:async(function(d) d.n = d.n + 1 end) end
            print("pending", o:pending())
            t0 = desync.clock(); o:async(function(d) desync.sleep(10); d.n = d.n + 10 end)
            print("pending", o:pending(), desync.clock() - t0 >= 10)
            print("n", o:sync(function(d) return d.n end))

            """, timeout: 30)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("pending\t0\n"), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("pending\t0\ttrue\n"), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("n\t13\n"), "\(outcome.stdout)")
    }

    @Test("the REPL: desync.scheduler.simulate(seed), then :threads N is refused")
    func replSimulate() throws {
        let outcome = try HostProcess.run(["-i"], input: """
            desync.scheduler.simulate(5)
            desync.scheduler.is_simulated()
            :threads 2
            :threads
            desync.scheduler.set_max_threads(3)
            local t = desync.clock(); desync.sleep(60); print(desync.clock() - t >= 60)

            """, timeout: 30)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("true\n"), "\(outcome.stdout)")
        #expect(outcome.stdout.contains("threads: at most 0"), "\(outcome.stdout)")
        #expect(outcome.stderr.contains("a simulated schedule runs on one thread"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("bad argument #1 to 'set_max_threads' (a simulated schedule runs on one thread)"), "\(outcome.stderr)")
    }

    @Test("Ctrl-C during --explore ends the run as interrupted, and kills what the seed started")
    func exploreInterrupted() throws {
        let marker = "3\(Int.random(in: 100_000...999_999))"
        let path = try script("os.execute('sleep \(marker) &')\nwhile true do end\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        // SIGINT to desync-lua alone, as a terminal's Ctrl-C reaches the foreground group (the
        // seeds run in groups of their own).
        process.arguments = ["--preserve-status", "-s", "INT", "2", Self.program, "--explore", "5", path]
        process.environment = HostProcess.environment()
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("--explore interrupted during seed 1 (no seed finished)"), "\(stderr)")
        #expect(!stderr.contains("replay it with"), "\(stderr)")
        // Before, the spinning seed and its `sleep` outlived the run.
        let left = try HostProcess.runTool("/usr/bin/pgrep", ["-f", "sleep \(marker)|--simulate 1 \(path)"])
        #expect(left.isEmpty, "left running: \(left)")
    }

    @Test("simulate right after real work is accepted, though a pool thread may still be finishing its turn")
    func simulateAfterRealWork() throws {
        for _ in 1...10 {
            let outcome = try HostProcess.run(["-e", """
                local fs = {}
                for i = 1, 8 do fs[i] = desync.spawn(function() return i end) end
                desync.all(fs):wait()
                print(pcall(desync.scheduler.simulate, 5))
                """])
            #expect(outcome.stdout == "true\n", "\(outcome.stdout) \(outcome.stderr)")
        }
    }
}
