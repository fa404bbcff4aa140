#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops the program after writing `message` on stderr, in every build.
///
/// `precondition` and `preconditionFailure` drop their message in optimised builds (the program
/// stops with SIGILL and no text), which left a misused program with nothing to go on. Used
/// wherever the core stops the program on misuse or on a resource it cannot do without.
package func desyncFatal(_ message: String) -> Never {
    writeToStandardError(message)
    abort()
}

/// Writes `message` and a newline on stderr in one `write`, so lines from several threads do not
/// interleave. No `print`: stdout may be buffered, and this must show even if the program stops.
package func writeToStandardError(_ message: String) {
    var line = message
    line.append("\n")
    line.withUTF8 { bytes in
        var rest = UnsafeRawBufferPointer(bytes)
        while !rest.isEmpty {
            let written = write(2, rest.baseAddress, rest.count)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            rest = UnsafeRawBufferPointer(rebasing: rest[written...])
        }
    }
}
