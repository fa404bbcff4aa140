#if canImport(Glibc)
import Glibc
#endif
import Desync

/// How many job slices run nested on the current thread: a job's `sync` on an idle object runs
/// that object's job right there, inside the first one's C frames (a few KiB a level), and Lua's
/// own C-stack limit does not see across states. Past `limit` a job fails with "C stack
/// overflow", as Lua's nesting does, instead of overflowing the thread's stack (8 MiB on pool
/// threads and usually on the main thread; frames are bigger under sanitizers).
enum NestedJobs {
    static let limit = 500

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        if pthread_key_create(&key, nil) != 0 { desyncFatal("desync: cannot create a thread-local key") }
        return key
    }()

    /// The depth to give back to `leave`; nil, without entering, past the limit.
    static func enter() -> Int? {
        let depth = Int(bitPattern: pthread_getspecific(key))
        guard depth < limit else { return nil }
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: depth + 1))
        return depth
    }

    static func leave(_ depth: Int) {
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: depth))
    }
}
