import CEditLine
import Foundation

enum LineInput: Equatable {
    /// A line, without its newline.
    case line(String)
    /// Ctrl-C while the line was typed: the statement is dropped.
    case interrupted
    case end
}

/// Where the REPL's lines come from.
protocol LineSource {
    func readLine(prompt: String) -> LineInput
    /// A statement the user entered, for the history.
    func remember(_ entry: String)
}

/// A terminal: libedit edits the line, and the history persists in `~/.desync_lua_history`,
/// shared by every REPL running at once (each entered line also brings in the others' lines).
final class EditLineSource: LineSource {
    private static let historyLimit: Int32 = 1000
    private let historyPath: String?
    private let interrupts: InterruptSignals?

    init(interrupts: InterruptSignals?) {
        self.interrupts = interrupts
        CapturedOutput.shared.installLineOutput()
        TerminalKeys.install()
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        historyPath = home.isEmpty ? nil : (home as NSString).appendingPathComponent(".desync_lua_history")
        using_history()
        stifle_history(Self.historyLimit)
        if let historyPath { _ = read_history(historyPath) }
    }

    func readLine(prompt: String) -> LineInput {
        let interruptsBefore = interrupts?.idleInterruptCount
        PromptReports.shared.beginWaiting()
        CapturedOutput.shared.begin()
        let line = readline(prompt)
        CapturedOutput.shared.end()
        let late = PromptReports.shared.endWaiting()
        defer { late.forEach { StandardStreams.write($0 + "\n", toError: true) } }
        guard let line else {
            // libedit gives up the line on Ctrl-C as it does at the end of input.
            guard let interruptsBefore, interrupts?.idleInterruptCount != interruptsBefore else { return .end }
            StandardStreams.write("\n")
            return .interrupted
        }
        defer { free(line) }
        return .line(String(cString: line))
    }

    func remember(_ entry: String) {
        guard !entry.isEmpty else { return }
        guard let historyPath else {
            _ = add_history(entry)
            return
        }
        // Written at once, so a session that ends in os.exit or a crash keeps its history. Another
        // REPL may have written lines since this one read the file: they are read in first, under
        // a lock on the file, so that writing it back keeps them instead of overwriting them.
        let file = open(historyPath, O_RDWR | O_CREAT, 0o600)
        if file >= 0 { _ = flock(file, LOCK_EX) }
        defer { if file >= 0 { close(file) } }
        clear_history()
        _ = read_history(historyPath)
        _ = add_history(entry)
        _ = write_history(historyPath)
    }
}

/// Input that is not a terminal (`-i` with a pipe): plain lines. The prompt and the line are
/// written to stdout, so a transcript reads like the session, as with the stock `lua` here.
final class PlainLineSource: LineSource {
    func readLine(prompt: String) -> LineInput {
        StandardStreams.write(prompt)
        StandardStreams.flushOutput()
        guard let line = Swift.readLine(strippingNewline: true) else { return .end }
        StandardStreams.write(line + "\n")
        return .line(line)
    }

    func remember(_ entry: String) {}
}
