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

    static func start(_ run: @escaping @Sendable () -> Void) {
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
        precondition(status == 0, "desync: cannot start a pool thread (pthread_create: \(status))")
    }
}
