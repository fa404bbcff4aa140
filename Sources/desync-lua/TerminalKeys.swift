import CEditLine
import Foundation

/// libedit's key reader for the REPL (installed with `desync_edit_set_getc`): it waits for a key
/// and, meanwhile, for async error reports and for output that jobs write (`CapturedOutput`),
/// which it prints above the prompt before libedit redraws the prompt and the line being typed.
/// `on_error` handlers run here too, as their errors arrive.
enum TerminalKeys {
    /// Makes libedit read through `nextKey`; before libedit's first use.
    static func install() {
        desync_edit_set_getc { stream in
            guard let stream else { return -1 }
            return TerminalKeys.nextKey(from: fileno(stream))
        }
    }

    /// One character as libedit wants it from a read function: a whole multibyte character
    /// (decoded for the locale, as libedit's own reader does), or -1 to end the line.
    private static func nextKey(from descriptor: Int32) -> Int32 {
        var bytes: [CChar] = []
        while let byte = nextByte(from: descriptor) {
            bytes.append(CChar(bitPattern: byte))
            var character: Int32 = 0
            switch desync_edit_decode(bytes, bytes.count, &character) {
            case 1: return character
            case -2 where bytes.count < 8: continue  // the rest of a multibyte character
            default: return Int32(UInt8(bitPattern: bytes[0]))
            }
        }
        return -1
    }

    private static func nextByte(from descriptor: Int32) -> UInt8? {
        let reports = PromptReports.shared
        let captured = CapturedOutput.shared
        while true {
            var watched = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: reports.wakeDescriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: captured.readDescriptor, events: Int16(POLLIN), revents: 0)]
            // A partial line of output is shown once nothing more has come for a moment.
            let timeout: Int32 = captured.holdsPartialLine ? 100 : -1
            let ready = poll(&watched, nfds_t(watched.count), timeout)
            if ready < 0 {
                guard errno == EINTR, !lineAbandoned(descriptor) else { return nil }
                continue
            }
            if ready == 0 { showAbovePrompt(output: captured.takeLines(all: true)) }
            if watched[1].revents != 0 {
                let lines = reports.takeHeld()
                // on_error handlers run now, not after the next line; what they print is captured.
                reports.runWhileWaiting()
                showAbovePrompt(output: captured.takeLines(), errors: lines)
            }
            if watched[2].revents != 0 { showAbovePrompt(output: captured.takeLines()) }
            guard watched[0].revents != 0 else { continue }
            var byte: UInt8 = 0
            let count = read(descriptor, &byte, 1)
            if count == 1 { return byte }
            if count < 0 && (errno == EAGAIN || (errno == EINTR && !lineAbandoned(descriptor))) { continue }
            return nil
        }
    }

    /// libedit's signal handler puts the terminal back in canonical mode when a signal ends the
    /// line (Ctrl-C); after a resize the terminal stays in edit mode and the line goes on.
    private static func lineAbandoned(_ descriptor: Int32) -> Bool {
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else { return true }
        return settings.c_lflag & tcflag_t(ICANON) != 0
    }

    /// Clears the prompt's row, writes `output` (captured stdout and stderr) and `errors` (the
    /// terminal is in raw mode: "\r\n"), and has libedit draw the prompt and the line again below
    /// them, the cursor where it was. A line being typed that wraps over several rows leaves its
    /// upper rows above the reports.
    private static func showAbovePrompt(output: [UInt8], errors: [String] = []) {
        guard !output.isEmpty || !errors.isEmpty else { return }
        var text: [UInt8] = Array("\r\u{1B}[K".utf8)
        for byte in output {
            if byte == UInt8(ascii: "\n") { text.append(UInt8(ascii: "\r")) }
            text.append(byte)
        }
        for line in errors {
            text += Array((line.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n").utf8)
        }
        CapturedOutput.shared.writeToTerminal(text)
        rl_forced_update_display()
    }
}
