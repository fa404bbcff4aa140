#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops the program on a misuse that would otherwise hang or corrupt it, with `message` on
/// stderr in every build: `preconditionFailure` drops its message in optimised builds on Linux.
@usableFromInline
func desyncFatal(_ message: String) -> Never {
    var line = message + "\n"
    line.withUTF8 { bytes in
        var rest = UnsafeRawBufferPointer(bytes)
        while !rest.isEmpty {
            let written = write(2, rest.baseAddress, rest.count)
            if written <= 0 { break }
            rest = UnsafeRawBufferPointer(rebasing: rest[written...])
        }
    }
    abort()
}
