#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The queue whose jobs the current thread runs now (a pool thread's turn, or a waiter running a
/// queue it drives), for the wait-for graph: a wait from inside a job is an edge from that job's
/// queue. Set once per turn, not per job. Not set by a `sync` that runs inline on an idle object
/// (its fast path stays two compare-and-exchanges), so a cycle through such a `sync` is not seen.
enum CurrentQueue {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        if pthread_key_create(&key, nil) != 0 { desyncFatal("desync: cannot create a thread-local key") }
        return key
    }()

    /// The queue this thread runs, unretained: only read while that queue's turn runs, which
    /// holds it.
    static var running: QueueCore? {
        guard let pointer = pthread_getspecific(key) else { return nil }
        return Unmanaged<QueueCore>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Marks `queue` as run by this thread; returns what to give back to `restore`.
    static func enter(_ queue: QueueCore) -> UnsafeMutableRawPointer? {
        let outer = pthread_getspecific(key)
        pthread_setspecific(key, Unmanaged.passUnretained(queue).toOpaque())
        return outer
    }

    static func restore(_ outer: UnsafeMutableRawPointer?) {
        pthread_setspecific(key, outer)
    }
}
