import Foundation
import Testing

/// Runs programs that load desync.so (stock `lua5.4`, a C program embedding Lua) as child
/// processes, with a time limit, so a deadlock fails a test instead of hanging the suite.
enum ModuleProcess {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// True in a ThreadSanitizer or AddressSanitizer build: its desync.so needs the sanitizer's
    /// runtime, which stock lua5.4 and the test's C program do not load ("undefined symbol:
    /// __tsan_func_entry"). scripts/test runs the release module under lua5.4 instead.
    static let sanitizerBuild = dlsym(nil, "__tsan_init") != nil || dlsym(nil, "__asan_init") != nil

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The directory holding libdesync.so: the build directory of this test bundle (the same
    /// `swift build` made both), else `.build/debug`. Lua finds it with `lib?.so` in LUA_CPATH.
    static let libraryDirectory: URL = {
        var candidates: [URL] = []
        if let testBinary = Bundle.main.executableURL { candidates.append(testBinary.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        return candidates.first {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("libdesync.so").path)
        } ?? packageRoot.appendingPathComponent(".build/debug")
    }()

    /// `LUA_CPATH` for desync.so, then Lua's defaults (luv).
    static var luaCPath: String { libraryDirectory.path + "/lib?.so;;" }

    static func isInstalled(_ program: String) -> Bool {
        ["/usr/bin", "/usr/local/bin", "/bin"].contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(program)")
        }
    }

    static func run(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:],
                    in directory: URL? = nil, timeout: TimeInterval = 120,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LUA_") }
        environment["LUA_CPATH"] = luaCPath
        environment.merge(extra) { $1 }
        process.environment = environment
        process.currentDirectoryURL = directory ?? packageRoot
        let output = Pipe(), errors = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let stdout = PipeReader(output), stderr = PipeReader(errors)
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = exited.wait(timeout: .now() + 5)
            Issue.record("\(executable) \(arguments) did not finish in \(timeout) s", sourceLocation: sourceLocation)
        }
        return Outcome(status: process.terminationStatus, stdout: stdout.text(), stderr: stderr.text())
    }
}

/// Drains a pipe on its own thread, so that a child writing much cannot block on a full pipe.
final class PipeReader: @unchecked Sendable {
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
        guard done.wait(timeout: .now() + 10) == .success else { return "" }
        return String(decoding: data, as: UTF8.self)
    }
}
