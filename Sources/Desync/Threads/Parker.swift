#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-shot wake-up signal for one sleeping thread, like Rust's `thread::park`.
///
/// `unpark()` before `park()` makes the next `park()` return at once, so a waker never needs to
/// know whether the sleeper has gone to sleep yet. `Synchronization` has no condition variable,
/// which is the one thing a thread needs to sleep on; hence the raw pthread pair here, and
/// nowhere else.
final class Parker: @unchecked Sendable {
    // @unchecked: `token` is only read or written with `mutex` held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var token = false

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // A monotonic clock, so timed waits are not moved by changes to the wall clock.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        let conditionStatus = pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        let mutexStatus = pthread_mutex_init(mutex, nil)
        precondition(conditionStatus == 0 && mutexStatus == 0, "desync: cannot create a parker")
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Sleeps until `unpark()` is called (or returns at once if it already was), consuming it.
    func park() {
        pthread_mutex_lock(mutex)
        while !token {
            pthread_cond_wait(condition, mutex)
        }
        token = false
        pthread_mutex_unlock(mutex)
    }

    /// Sleeps until `unpark()` or the deadline. Returns false on timeout.
    func park(until deadline: ContinuousClock.Instant) -> Bool {
        let remaining = ContinuousClock.now.duration(to: deadline)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        var wakeAt = now.adding(remaining)
        pthread_mutex_lock(mutex)
        var status: Int32 = 0
        while !token && status != ETIMEDOUT {
            status = pthread_cond_timedwait(condition, mutex, &wakeAt)
        }
        let woken = token
        token = false
        pthread_mutex_unlock(mutex)
        return woken
    }

    /// Wakes the thread sleeping in `park()`, or makes its next `park()` return at once.
    func unpark() {
        pthread_mutex_lock(mutex)
        token = true
        pthread_mutex_unlock(mutex)
        pthread_cond_signal(condition)
    }
}

extension timespec {
    fileprivate func adding(_ duration: Duration) -> timespec {
        let (seconds, attoseconds) = duration.components
        guard seconds > 0 || (seconds == 0 && attoseconds > 0) else { return self }
        let cappedSeconds = min(seconds, Int64(Int32.max))
        var result = self
        result.tv_sec += Int(cappedSeconds)
        result.tv_nsec += Int(attoseconds / 1_000_000_000)
        if result.tv_nsec >= 1_000_000_000 {
            result.tv_sec += 1
            result.tv_nsec -= 1_000_000_000
        }
        return result
    }
}
