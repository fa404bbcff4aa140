#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The identity of a thread, to tell "the thread running this queue is me" (re-entrancy).
@usableFromInline
struct ThreadID: Equatable, Sendable {
    /// The pthread's address: never 0, and even (`QueueCore.owner` uses the low bit).
    @usableFromInline let raw: UInt

    @inlinable
    init(raw: UInt) { self.raw = raw }

    @inlinable
    static var current: ThreadID {
        #if canImport(Darwin)
        ThreadID(raw: UInt(bitPattern: pthread_self()))
        #else
        ThreadID(raw: UInt(pthread_self()))
        #endif
    }
}

/// A parker per thread, made on first use, so waiting in `sync` or `wait()` allocates nothing.
package enum ThreadParker {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { pointer in
            #if canImport(Darwin)
            Unmanaged<Parker>.fromOpaque(pointer).release()
            #else
            if let pointer { Unmanaged<Parker>.fromOpaque(pointer).release() }
            #endif
        }
        if status != 0 { desyncFatal("desync: cannot create a thread-local key") }
        return key
    }()

    package static var current: Parker {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<Parker>.fromOpaque(pointer).takeUnretainedValue()
        }
        let parker = Parker()
        pthread_setspecific(key, Unmanaged.passRetained(parker).toOpaque())
        return parker
    }
}
