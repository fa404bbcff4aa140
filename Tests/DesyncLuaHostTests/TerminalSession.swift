import Foundation
import Testing

/// `desync-lua` in a real terminal: a private tmux server, driven with send-keys and read with
/// capture-pane, every wait bounded.
final class TerminalSession {
    static let tmuxAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")
        || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/tmux")

    private let socket = "desync-lua-test-\(UUID().uuidString)"

    /// Starts the host with `arguments`; when it exits, the pane shows "EXIT=<status>".
    init(_ arguments: [String] = [], home: URL = HostProcess.home) throws {
        let command = ([HostProcess.executable.path] + arguments).map(Self.shellQuoted).joined(separator: " ")
        try tmux(["new-session", "-d", "-x", "120", "-y", "40",
                  "env HOME=\(Self.shellQuoted(home.path)) \(command); echo EXIT=$?; sleep 600"])
    }

    deinit {
        _ = try? tmux(["kill-server"])
    }

    /// Keys as tmux names them: literal text, "Enter", "C-c", "C-d".
    func send(_ keys: String...) throws {
        try tmux(["send-keys", "-t", "0"] + keys)
    }

    /// Sends `line` and Enter.
    func type(_ line: String) throws {
        try tmux(["send-keys", "-t", "0", "-l", line])
        try send("Enter")
    }

    /// The lines on screen, trailing blanks removed.
    func screen() throws -> [String] {
        let text = try tmux(["capture-pane", "-p", "-t", "0"])
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.reversed().drop { $0 == " " }.reversed())
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// Waits until `condition` holds for the screen; records an issue after `timeout` seconds.
    @discardableResult
    func waitFor(_ what: String, timeout: TimeInterval = 15, sourceLocation: SourceLocation = #_sourceLocation,
                 _ condition: ([String]) -> Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(try screen()) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("timed out waiting for \(what); the screen:\n\(try screen().joined(separator: "\n"))",
                     sourceLocation: sourceLocation)
        return false
    }

    /// Waits for a line that is exactly `line`.
    @discardableResult
    func waitForLine(_ line: String, timeout: TimeInterval = 15, sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
        try waitFor("the line \"\(line)\"", timeout: timeout, sourceLocation: sourceLocation) { $0.contains(line) }
    }

    /// Waits until the last line is an empty prompt `prompt`.
    @discardableResult
    func waitForPrompt(_ prompt: String = ">", sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
        try waitFor("the prompt \"\(prompt)\"", sourceLocation: sourceLocation) { $0.last == prompt }
    }

    /// Runs tmux and returns its stdout. Not through Foundation's Process: it loses track of the
    /// tmux client whose server daemonizes, and never sees it exit. Output goes through a file,
    /// because the server keeps any pipe it inherits open.
    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: outputFile) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ["tmux", "-L", socket] + arguments
        let environment = HostProcess.environment().map { "\($0.key)=\($0.value)" }
        var cArguments = argv.map { strdup($0) } + [nil]
        var cEnvironment = environment.map { strdup($0) } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        // The calling thread may block signals (libdispatch's do); tmux and the host would inherit that.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var interrupt = sigset_t()
        sigemptyset(&interrupt)
        sigaddset(&interrupt, SIGINT)
        posix_spawnattr_setsigdefault(&attributes, &interrupt)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "tmux", &actions, &attributes, &cArguments, &cEnvironment)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .ENOENT) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    }

    private static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
