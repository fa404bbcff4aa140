import Foundation

/// Reports of unobserved async errors while the REPL waits for a line at a terminal: held here
/// and handed to the key reader (`TerminalKeys`), which prints them above the prompt and redraws
/// the line being typed. At any other time they go straight to stderr.
final class PromptReports: @unchecked Sendable {
    // @unchecked: `waiting`, `held` and `whileWaiting` are only touched with `lock` held (the
    // body is only called on the host's thread); the descriptors never change after init.
    static let shared = PromptReports()

    private let lock = NSLock()
    private var waiting = false
    private var held: [String] = []
    /// Readable while reports are held: one byte per report. -1 if the pipe could not be made
    /// (then reports wait until the line is entered).
    let wakeDescriptor: Int32
    private let wakeWriter: Int32

    private init() {
        var descriptors: [Int32] = [-1, -1]
        if pipe(&descriptors) == 0 {
            for descriptor in descriptors {
                _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            }
        }
        wakeDescriptor = descriptors[0]
        wakeWriter = descriptors[1]
    }

    /// The runtime's `asyncErrorPrinter`: called on any thread.
    func print(_ line: String) {
        lock.lock()
        if waiting {
            held.append(line)
            var byte: UInt8 = 1
            _ = write(wakeWriter, &byte, 1)  // a full pipe already wakes the reader
            lock.unlock()
            return
        }
        lock.unlock()
        StandardStreams.write(line + "\n", toError: true)
    }

    /// Run on the host's thread by the key reader when it is woken (`wake()`), while the prompt
    /// waits: the REPL delivers errors to the host's `desync.on_error` handler there.
    private var whileWaiting: (() -> Void)?

    /// Sets what the key reader runs when woken; on the host's thread.
    func setWhileWaiting(_ body: (() -> Void)?) {
        lock.lock()
        whileWaiting = body
        lock.unlock()
    }

    /// Runs the `whileWaiting` body (on the host's thread, from the key reader).
    func runWhileWaiting() {
        lock.lock()
        let body = whileWaiting
        lock.unlock()
        body?()
    }

    /// Wakes the key reader while the prompt waits (an error arrived for the host's `on_error`
    /// handler): called on any thread. Outside the prompt, the REPL delivers before each line.
    func wake() {
        lock.lock()
        defer { lock.unlock() }
        guard waiting else { return }
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)
    }

    /// The prompt is up: reports are held from now on.
    func beginWaiting() {
        lock.lock()
        waiting = true
        // An error that came after the REPL's last delivery and before this is delivered at once.
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)
        lock.unlock()
    }

    /// The reports held so far; the wake-up bytes are consumed.
    func takeHeld() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeDescriptor, &buffer, buffer.count) > 0 {}
        let lines = held
        held = []
        return lines
    }

    /// The line is read: reports go to stderr again. Returns those still held.
    func endWaiting() -> [String] {
        let lines = takeHeld()
        lock.lock()
        waiting = false
        lock.unlock()
        return lines
    }
}
