#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a lock that, when taken, first retries for a moment before putting the thread
/// to sleep: glibc's adaptive mutex (`PTHREAD_MUTEX_ADAPTIVE_NP`; elsewhere the platform's default
/// mutex).
///
/// For the locks every job goes through, the queue's and the scheduler's, whose critical sections
/// are a few dozen nanoseconds of bookkeeping. With a plain mutex a submitter that finds a worker
/// holding the queue's lock goes to sleep in the kernel at once, and the worker must wake it with
/// a system call on the way out: two context switches for a wait that a brief retry would have
/// ended (perf, 3M `async` jobs on one object: 3% of the submitter in that sleep, 3% of the worker
/// in that wake-up). This is not an idle thread spinning for work: the retries are bounded and
/// only ever wait for a lock that is held.
///
/// A pthread mutex rather than `Synchronization.Mutex`, because ThreadSanitizer understands
/// pthread mutexes, and reports false races on data behind `Mutex`.
final class AdaptiveLockedValue<Value: ~Copyable>: @unchecked Sendable {
    // @unchecked: `value` is read and written only under `mutex`: inside `withLockedValue`, or
    // between `lock()` and `unlock()`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    // Behind a pointer rather than a stored `var`: inout access to a class's stored property is
    // checked for exclusivity at run time (`swift_beginAccess`, 80 instructions a lock, callgrind),
    // which the mutex makes pointless.
    private let value: UnsafeMutablePointer<Value>

    init(_ value: consuming Value) {
        self.value = .allocate(capacity: 1)
        self.value.initialize(to: value)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        #if canImport(Glibc)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        #endif
        let status = pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        if status != 0 { desyncFatal("desync: cannot create a mutex (pthread_mutex_init: \(status))") }
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with the value, holding the lock. `body` must not take this lock again.
    @inline(__always)
    func withLockedValue<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }

    /// Takes the lock and returns the value, for a caller that must move something into it
    /// (a closure can only copy what it captures). Call `unlock()` once done with the pointer,
    /// on every path.
    @inline(__always)
    func lock() -> UnsafeMutablePointer<Value> {
        pthread_mutex_lock(mutex)
        return value
    }

    /// Releases the lock `lock()` took.
    @inline(__always)
    func unlock() {
        pthread_mutex_unlock(mutex)
    }
}
