#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts detached OS threads for the pool.
enum WorkerThread {
    /// Pool threads run Lua jobs, whose C stack use grows with nesting; 8 MiB matches a main thread.
    static let stackSize = 8 << 20

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts a thread running `run`. Returns 0, or `pthread_create`'s error when the thread could
    /// not start (out of memory for its stack, or the process's thread limit): `run` then never
    /// runs, and the caller decides what to do without it.
    @discardableResult
    static func start(_ run: @escaping @Sendable () -> Void) -> Int32 {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, stackSize)
        let body = Unmanaged.passRetained(Body(run)).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let status = pthread_create(&thread, &attributes, { pointer in
            #if canImport(Darwin)
            let body = Unmanaged<Body>.fromOpaque(pointer).takeRetainedValue()
            #else
            let body = Unmanaged<Body>.fromOpaque(pointer!).takeRetainedValue()
            #endif
            body.run()
            return nil
        }, body)
        if status != 0 { Unmanaged<Body>.fromOpaque(body).release() }
        return status
    }
}
