import CEditLine
import Foundation

/// While the prompt waits at a terminal, whatever the rest of the process writes to stdout or
/// stderr (jobs' `print` and `io.write`, C libraries, error reports) goes into a pipe instead of
/// the terminal, so that the key reader prints it above the prompt and redraws the line being
/// typed, instead of it landing on that line. The descriptors are switched, not Lua's functions:
/// that catches every writer, including ones desync does not know about.
///
/// libedit itself draws on a duplicate of the terminal's stdout, which the switch leaves alone.
final class CapturedOutput: @unchecked Sendable {
    // @unchecked: `tail` is only touched on the host's thread (the REPL and libedit's key
    // reader); the descriptors never change after init.
    static let shared = CapturedOutput()

    /// The terminal as stdout was at startup, or -1 when stdout is not a terminal (then nothing
    /// is captured from it).
    let terminalOutput: Int32
    /// The same for stderr.
    let terminalError: Int32
    /// Readable while captured output waits to be shown; -1 when nothing is captured.
    let readDescriptor: Int32
    private let writeDescriptor: Int32
    /// Bytes after the last newline, held until the rest of their line comes.
    private var tail: [UInt8] = []

    private init() {
        terminalOutput = isatty(STDOUT_FILENO) != 0 ? Self.duplicate(STDOUT_FILENO) : -1
        terminalError = isatty(STDERR_FILENO) != 0 ? Self.duplicate(STDERR_FILENO) : -1
        var descriptors: [Int32] = [-1, -1]
        if (terminalOutput >= 0 || terminalError >= 0), pipe(&descriptors) == 0 {
            for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
            // Only the reader is non-blocking: a writer waits for room rather than losing output.
            _ = fcntl(descriptors[0], F_SETFL, fcntl(descriptors[0], F_GETFL) | O_NONBLOCK)
            // Room for a burst of job output while the key reader is busy (Linux only; elsewhere
            // the default size holds).
            #if os(Linux)
            _ = fcntl(descriptors[1], 1031 /* F_SETPIPE_SZ */, 1 << 20)
            #endif
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
    }

    private static func duplicate(_ descriptor: Int32) -> Int32 {
        let copy = dup(descriptor)
        if copy >= 0 { _ = fcntl(copy, F_SETFD, FD_CLOEXEC) }
        return copy
    }

    /// Where libedit draws the prompt and the line: the terminal, never the pipe. Before
    /// libedit's first use.
    func installLineOutput() {
        guard terminalOutput >= 0, let stream = fdopen(Self.duplicate(terminalOutput), "w") else { return }
        desync_edit_set_outstream(stream)
    }

    /// The prompt is up: stdout and stderr go to the pipe from now on.
    func begin() {
        guard readDescriptor >= 0 else { return }
        StandardStreams.flushOutput()
        fflush(nil)
        if terminalOutput >= 0 { _ = dup2(writeDescriptor, STDOUT_FILENO) }
        if terminalError >= 0 { _ = dup2(writeDescriptor, STDERR_FILENO) }
    }

    /// The line is read: stdout and stderr are the terminal again, and what was still captured
    /// is written there.
    func end() {
        guard readDescriptor >= 0 else { return }
        fflush(nil)
        if terminalOutput >= 0 { _ = dup2(terminalOutput, STDOUT_FILENO) }
        if terminalError >= 0 { _ = dup2(terminalError, STDERR_FILENO) }
        // A partial line is written as it is: what comes next continues it, as without the capture.
        let rest = tail + drain()
        tail = []
        if !rest.isEmpty { writeToTerminal(rest) }
    }

    /// The whole lines captured so far (a partial last line is held back, unless `all`).
    func takeLines(all: Bool = false) -> [UInt8] {
        var bytes = tail + drain()
        tail = []
        if !all, let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) {
            tail = Array(bytes[(lastNewline + 1)...])
            bytes.removeSubrange((lastNewline + 1)...)
        } else if !all {
            tail = bytes
            bytes = []
        } else if !bytes.isEmpty && bytes.last != UInt8(ascii: "\n") {
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    /// True while part of a line is held back.
    var holdsPartialLine: Bool { !tail.isEmpty }

    private func drain() -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(readDescriptor, &buffer, buffer.count)
            if count > 0 {
                bytes += buffer[0..<count]
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return bytes
            }
        }
    }

    /// Writes to the terminal, bypassing the capture.
    func writeToTerminal(_ bytes: [UInt8]) {
        let descriptor = terminalOutput >= 0 ? terminalOutput : STDOUT_FILENO
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}
