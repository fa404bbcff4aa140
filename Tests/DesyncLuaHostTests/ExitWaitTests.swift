import Foundation
import Testing

/// The end of a run waits for everything still to do, as `lua` ends with `lua_close` (issue 20):
/// work that finalizers queue while the host state closes, the REPL's queued jobs after `:quit`
/// or Ctrl-D, and an `on_error` handler's own error counts as unobserved.
@Suite struct ExitWaitTests {
    private static let lateJob = """
        local o = desync.new({}, { name = 'o' })
        setmetatable({}, { __gc = function() o:async(function() print('late') end) end })
        """

    @Test("a job queued by a finalizer at exit runs", arguments: ["0", "2"])
    func jobQueuedByAFinalizerAtExitRuns(threads: String) throws {
        let result = try HostProcess.run(["-t", threads, "-e", Self.lateJob])
        #expect(result.status == 0)
        #expect(result.stdout == "late\n")
        #expect(result.stderr == "")
    }

    @Test func finalizerWorkThatQueuesMoreWorkIsWaitedFor() throws {
        let result = try HostProcess.run(["-e", """
            local a, b = desync.new({}, { name = 'a' }), desync.new({}, { name = 'b' })
            setmetatable({}, { __gc = function()
              a:async(function(_, other) desync.sleep(0.05) other:async(function() print('second') end) end, b)
            end })
            """])
        #expect(result.status == 0)
        #expect(result.stdout == "second\n")
    }

    @Test func aFailureQueuedByAFinalizerAtExitSetsTheStatus() throws {
        let result = try HostProcess.run(["-e", """
            local o = desync.new({}, { name = 'o' })
            setmetatable({}, { __gc = function() o:async(function() error('late failure') end) end })
            """])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("desync: error in async job on o: "))
        #expect(result.stderr.contains("late failure"))
    }

    /// The host's `on_error` handler is gone once the host state is closed: an error arriving
    /// then is printed and counted, not left for a handler that will never run.
    @Test func anErrorAfterTheHostStateClosedIsReported() throws {
        let result = try HostProcess.run(["-e", """
            desync.on_error(function() print('handled') end)
            local o = desync.new({}, { name = 'o' })
            setmetatable({}, { __gc = function() o:async(function() error('after close') end) end })
            """])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(result.stderr.hasPrefix("desync: error in async job on o: "))
    }

    @Test func anErrorInTheOnErrorHandlerCountsAsUnobserved() throws {
        let result = try HostProcess.run(["-e", """
            desync.on_error(function() error('handler failed') end)
            desync.new({}):async(function() error('job failed') end)
            """])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("desync: error in on_error handler: "))
        #expect(result.stderr.contains("handler failed"))
    }

    @Test func aFailedScriptStillWaitsForItsQueuedWork() throws {
        let result = try HostProcess.run(["-e", """
            desync.new({}):async(function() desync.sleep(0.05) print('ran') end)
            error('script failed')
            """])
        #expect(result.status == 1)
        #expect(result.stdout == "ran\n")
        #expect(result.stderr.contains("script failed"))
    }

    @Test("the REPL waits for queued jobs when it ends", arguments: [":quit\n", ""])
    func replWaitsForQueuedJobs(ending: String) throws {
        let result = try HostProcess.run(["-i"], input: """
            o = desync.new({})
            for i = 1, 3 do o:async(function() desync.sleep(0.05) print('job ' .. i) end) end
            \(ending)
            """)
        #expect(result.status == 0)
        #expect(result.stdout.hasSuffix("job 1\njob 2\njob 3\n"))
        #expect(result.stderr.hasPrefix("desync-lua: waiting for "))
        #expect(result.stderr.hasSuffix(" still queued or running (Ctrl-C drops them)\n"))
    }

    @Test func replWithNothingQueuedSaysNothing() throws {
        let result = try HostProcess.run(["-i"], input: "x = 1\n:quit\n")
        #expect(result.status == 0)
        #expect(result.stderr == "")
    }

    @Test func ctrlCDropsTheJobsTheReplLeftAndSaysHowMany() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("desync-lua-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let errors = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = HostProcess.executable
        process.arguments = ["-i"]
        process.environment = HostProcess.environment()
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errors)
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        input.fileHandleForWriting.write(Data("""
            o = desync.new({})
            o:async(function() desync.sleep(30) end) o:async(function() end)
            :quit

            """.utf8))
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !((try? String(contentsOf: errors, encoding: .utf8)) ?? "").contains("Ctrl-C") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.interrupt()
        if exited.wait(timeout: .now() + 20) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("the REPL did not stop waiting on SIGINT")
            return
        }
        #expect(process.terminationStatus == 1)
        #expect(try String(contentsOf: errors, encoding: .utf8) == """
            desync-lua: waiting for 2 jobs still queued or running (Ctrl-C drops them)
            desync-lua: interrupted! (2 jobs dropped)

            """)
    }

    /// `desync.stream.from(fn)` is filled by the script's state as receivers elsewhere ask: the
    /// final wait goes on filling it for a pipe nobody waits for.
    @Test("a pipe on a generator stream gets every value before the exit", arguments: ["0", "2"])
    func pipeOnAGeneratorFinishesBeforeTheExit(threads: String) throws {
        let result = try HostProcess.run(["-t", threads, "-e", """
            local i = 0
            local sink = desync.new({}, { name = 'sink' })
            sink:pipe_in(desync.stream.from(function() i = i + 1; if i <= 300 then return i end end, 8),
              function(_, x) if x == 300 then print('last', x) end end)
            """])
        #expect(result.status == 0)
        #expect(result.stdout == "last\t300\n")
        #expect(result.stderr == "")
    }

    @Test func aGeneratorErrorNobodyCanRaiseIsReported() throws {
        let result = try HostProcess.run(["-e", """
            local i = 0
            local sink = desync.new({}, { name = 'sink' })
            sink:pipe_in(desync.stream.from(function() i = i + 1; if i == 20 then error('generator failed') end return i end, 4),
              function() end)
            """])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("desync: error in stream generator: "))
        #expect(result.stderr.contains("generator failed"))
    }
}
