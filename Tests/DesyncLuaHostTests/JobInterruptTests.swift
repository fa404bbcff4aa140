import Foundation
import Testing

/// Ctrl-C reaches Lua code that a job runs on the host's own thread (0 pool threads, or a `sync`
/// that runs the object's queue itself), as it reaches the host's own code.
@Suite("Ctrl-C stops jobs the host runs itself")
struct JobInterruptTests {
    /// ThreadSanitizer holds an asynchronous signal back until the thread next calls into libc,
    /// which a pure Lua loop never does, and handles SIGINT's default action itself: under it
    /// these tests would measure TSan, not the host.
    static let threadSanitized = dlsym(nil, "__tsan_init") != nil

    @Test("an endless job run by the host stops with interrupted! and the script exits 1",
          .disabled(if: threadSanitized, "ThreadSanitizer delays signals to a spinning thread"), arguments: [
        "o:sync(function() while true do end end)",
        "o:future(function() while true do end end):wait()",
        "o:async(function() end) o:sync(function() while true do end end)",
        // The host waits on a job that is suspended (holding no thread) in a 2 s sleep: Ctrl-C
        // stops the wait at once; the final wait then lets the job end.
        "o:future(function() desync.sleep(2) end):wait()",
        "o:sync(function() desync.sleep(2) end)",
    ])
    func endlessJobOnHostThread(statement: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("desync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out"), errors = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = HostProcess.executable
        process.arguments = ["-t", "0", "-e", "o = desync.new({}) print('started') io.stdout:flush() \(statement)"]
        process.environment = HostProcess.environment()
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try? String(contentsOf: output, encoding: .utf8)) != "started\n" {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 0.3)  // into the endless job
        process.interrupt()
        if exited.wait(timeout: .now() + 10) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("the host did not stop on SIGINT")
            return
        }
        #expect(process.terminationStatus == 1)
        let text = try String(contentsOf: errors, encoding: .utf8)
        #expect(text.hasPrefix("desync-lua: interrupted!"), "\(text)")
    }

    @Test("a second Ctrl-C while the script is stuck in C code ends the process, as in lua.c",
          .disabled(if: threadSanitized, "ThreadSanitizer handles SIGINT's default action itself"))
    func secondInterruptEndsStuckScript() throws {
        let process = Process()
        process.executableURL = HostProcess.executable
        // io.read blocks in C: the first Ctrl-C's hook cannot fire until it returns.
        process.arguments = ["-e", "print('reading') io.stdout:flush() io.read()"]
        process.environment = HostProcess.environment()
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        defer { try? input.fileHandleForWriting.close() }
        let line = output.fileHandleForReading.availableData
        #expect(String(decoding: line, as: UTF8.self) == "reading\n")
        Thread.sleep(forTimeInterval: 0.2)
        process.interrupt()
        #expect(exited.wait(timeout: .now() + 0.5) == .timedOut, "the first Ctrl-C only asks")
        process.interrupt()
        if exited.wait(timeout: .now() + 10) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("a second Ctrl-C did not end the process")
            return
        }
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGINT)
    }
}
