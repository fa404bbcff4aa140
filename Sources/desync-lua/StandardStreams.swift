import CLua
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Output through C stdio, the same buffers Lua's `print` and `io.write` use, so the host's
/// lines and the script's stay in order.
enum StandardStreams {
    static func write(_ text: String, toError: Bool = false) {
        write(Array(text.utf8), toError: toError)
    }

    static func write(_ bytes: [UInt8], toError: Bool = false) {
        let stream = toError ? desync_stderr() : desync_stdout()
        bytes.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stream) }
        if toError { fflush(stream) }
    }

    static func flushOutput() { fflush(desync_stdout()) }

    static var inputIsTerminal: Bool { isatty(STDIN_FILENO) != 0 }
}
