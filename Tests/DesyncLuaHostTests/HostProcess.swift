import Foundation
import Testing

/// Runs the built `desync-lua` as a child process, as a user would, with a time limit.
enum HostProcess {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The executable: next to the test bundle (the test target depends on it, so the same
    /// build made both), else in the package's `.build/debug`.
    static let executable: URL = {
        var candidates: [URL] = []
        if let testBinary = Bundle.main.executableURL {
            candidates.append(testBinary.deletingLastPathComponent())
        }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        for directory in candidates {
            let url = directory.appendingPathComponent("desync-lua")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return packageRoot.appendingPathComponent(".build/debug/desync-lua")
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A private HOME, so no test reads or writes the user's history.
    static let home: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("desync-lua-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// The environment of every run: no LUA_INIT or LUA_PATH from the caller's.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LUA_") }
        environment["HOME"] = home.path
        environment.merge(extra) { $1 }
        return environment
    }

    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    static func run(_ arguments: [String], input: String = "", environment extra: [String: String] = [:],
                    in directory: URL? = nil, timeout: TimeInterval = 20,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment(extra)
        if let directory { process.currentDirectoryURL = directory }
        let inputPipe = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = inputPipe
        process.standardOutput = output
        process.standardError = errors
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()

        let stdout = PipeReader(output), stderr = PipeReader(errors)
        // Inputs are small: the pipe's buffer takes them even if the host never reads.
        // A host that exits without reading makes this fail (EPIPE; SIGPIPE is ignored).
        ignoreBrokenPipes
        try? inputPipe.fileHandleForWriting.write(contentsOf: Data(input.utf8))
        try? inputPipe.fileHandleForWriting.close()

        if exited.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 5)
            Issue.record("desync-lua \(arguments) did not finish in \(timeout) s", sourceLocation: sourceLocation)
        }
        return Outcome(status: process.terminationStatus, stdout: stdout.text(), stderr: stderr.text())
    }
}

/// Drains a pipe on its own thread, so that a child writing much cannot block on a full pipe.
private final class PipeReader: @unchecked Sendable {
    // @unchecked: `data` is written once by the reading thread before `done` is signalled, and
    // read only after waiting on `done`.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func text() -> String {
        // A reader still blocked (a grandchild holds the pipe open) leaves `data` untouched.
        guard done.wait(timeout: .now() + 10) == .success else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension HostProcess {
    /// Runs a tool (not desync-lua) and returns its stdout.
    static func runTool(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }
}
