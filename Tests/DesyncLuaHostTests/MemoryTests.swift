import Foundation
import Testing

/// Running out of memory, real or an object's limit: a Lua error ("not enough memory") in the
/// state that ran out, as `lua5.4` gives, never an abort of the process.
@Suite struct MemoryTests {
    /// True when this build is instrumented by a sanitizer (the host executable too: one build
    /// makes both). Sanitizers map terabytes of shadow memory and refuse to run under `ulimit -v`.
    static let sanitized = dlsym(nil, "__tsan_init") != nil || dlsym(nil, "__asan_init") != nil

    /// A loop that allocates until memory runs out.
    private static let grow = "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(1000) .. i end"

    /// Runs `desync-lua` with at most `kilobytes` of address space (`ulimit -v`), as a shell
    /// would, with a time limit. Output goes to files: a crash report must not block on a pipe.
    private func runLimited(kilobytes: Int, _ arguments: [String]) throws -> HostProcess.Outcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("desync-lua-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out"), err = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -v \(kilobytes) || exit 99; exec \"$0\" \"$@\"",
                             HostProcess.executable.path] + arguments
        process.environment = HostProcess.environment()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + 60) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 5)
            Issue.record("desync-lua \(arguments) did not finish in 60 s")
        }
        return HostProcess.Outcome(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    @Test(.disabled(if: sanitized, "ulimit -v: sanitizers need unlimited address space"))
    func hostOutOfMemoryIsCatchable() throws {
        let result = try runLimited(kilobytes: 400_000, ["-e", "print(pcall(function() \(Self.grow) end)) print('goes on')"])
        #expect(result.stdout == "false\tnot enough memory\ngoes on\n", "\(result.stderr.prefix(400))")
        #expect(result.stderr == "")
        #expect(result.status == 0)
    }

    @Test(.disabled(if: sanitized, "ulimit -v: sanitizers need unlimited address space"))
    func hostOutOfMemoryUncaughtEndsTheScriptAsLuaDoes() throws {
        // lua5.4 prints "lua5.4: not enough memory" (no traceback: Lua calls no message handler
        // for memory errors) and exits with 1.
        let result = try runLimited(kilobytes: 400_000, ["-e", Self.grow])
        #expect(result.stderr == "desync-lua: not enough memory\n", "\(result.stderr.prefix(400))")
        #expect(result.status == 1)
    }

    @Test(.disabled(if: sanitized, "ulimit -v: sanitizers need unlimited address space"))
    func objectOutOfRealMemoryFailsItsJobOnly() throws {
        let script = """
            local o = desync.new({})
            print(o:future(function() \(Self.grow) end):result())
            print(o:sync(function() return 'next job' end))
            print(desync.new({}):sync(function() return #('y'):rep(1e6) end))
            """
        let result = try runLimited(kilobytes: 600_000, ["-e", script])
        #expect(result.stdout == "false\tnot enough memory\nnext job\n1000000\n", "\(result.stderr.prefix(400))")
        #expect(result.status == 0)
    }

    @Test func objectsCommandShowsLuaMemory() throws {
        let result = try HostProcess.run(
            ["-i"], input: "a = desync.new({}, {name = 'ran'}) a:sync(function() end) b = desync.new({}, {name = 'idle'})\n:objects\n")
        #expect(result.stdout.contains("ran   0 queued, Lua memory "), "\(result.stdout)")
        #expect(result.stdout.contains(" KiB\n"))
        #expect(result.stdout.contains("idle  0 queued, Lua memory 0 B\n"), "\(result.stdout)")
    }
}
