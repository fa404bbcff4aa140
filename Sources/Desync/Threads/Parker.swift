#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A one-shot wake-up signal for one sleeping thread, like Rust's `thread::park`.
///
/// `unpark()` before `park()` makes the next `park()` return at once, so a waker never needs to
/// know whether the sleeper has gone to sleep yet. `Synchronization` has no condition variable,
/// which is the one thing a thread needs to sleep on; hence the raw pthread pair here, and
/// nowhere else.
///
/// The state is an atomic (as in Rust's parker), so that `unpark()` on a thread that is not asleep
/// (it is running, or about to park) makes no system call: it only sets the token. The mutex and
/// condition are used only when the thread really sleeps.
@usableFromInline package final class Parker: @unchecked Sendable {
    // @unchecked: the pthread mutex and condition are thread-safe; `state` is atomic.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let state = Atomic<Int>(Parker.empty)

    private static var empty: Int { 0 }
    /// `unpark()` was called: the next `park()` returns at once.
    private static var notified: Int { 1 }
    /// The thread sleeps (or is about to, holding the mutex) on the condition.
    private static var parked: Int { 2 }

    package init() {
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
        if conditionStatus != 0 || mutexStatus != 0 { desyncFatal("desync: cannot create a parker") }
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Sleeps until `unpark()` is called (or returns at once if it already was), consuming it.
    package func park() {
        if takeToken() { return }
        pthread_mutex_lock(mutex)
        guard state.compareExchange(expected: Self.empty, desired: Self.parked, ordering: .acquiring).exchanged else {
            // Unparked between the two looks: the token is there.
            state.store(Self.empty, ordering: .relaxed)
            pthread_mutex_unlock(mutex)
            return
        }
        repeat {
            pthread_cond_wait(condition, mutex)
        } while !takeToken()
        pthread_mutex_unlock(mutex)
    }

    /// Sleeps until `unpark()` or the deadline. Returns false on timeout.
    package func park(until deadline: ContinuousClock.Instant) -> Bool {
        if takeToken() { return true }
        let remaining = ContinuousClock.now.duration(to: deadline)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        var wakeAt = now.adding(remaining)
        pthread_mutex_lock(mutex)
        guard state.compareExchange(expected: Self.empty, desired: Self.parked, ordering: .acquiring).exchanged else {
            state.store(Self.empty, ordering: .relaxed)
            pthread_mutex_unlock(mutex)
            return true
        }
        var status: Int32 = 0
        var woken = false
        while !woken && status != ETIMEDOUT {
            status = pthread_cond_timedwait(condition, mutex, &wakeAt)
            woken = takeToken()
        }
        // Timed out: stop sleeping, but keep a token that arrived meanwhile.
        if !woken { woken = state.exchange(Self.empty, ordering: .acquiring) == Self.notified }
        pthread_mutex_unlock(mutex)
        return woken
    }

    /// Wakes the thread sleeping in `park()`, or makes its next `park()` return at once. Makes a
    /// system call only when the thread sleeps.
    @usableFromInline package func unpark() {
        guard state.exchange(Self.notified, ordering: .releasing) == Self.parked else { return }
        // Taking the mutex orders this signal after the sleeper's wait began: it cannot be lost.
        pthread_mutex_lock(mutex)
        pthread_mutex_unlock(mutex)
        pthread_cond_signal(condition)
    }

    /// Consumes a pending `unpark()`.
    private func takeToken() -> Bool {
        state.compareExchange(expected: Self.notified, desired: Self.empty, ordering: .acquiring).exchanged
    }
}

/// Parkers to wake, with room for one inline: a queue or a future usually has one waiter at a
/// time, and the inline slot saves an array allocation per wait.
struct Parkers: Sendable {
    private var first: Parker?
    private var rest: [Parker] = []

    init() {}

    var isEmpty: Bool { first == nil }

    mutating func append(_ parker: Parker) {
        if first == nil { first = parker } else { rest.append(parker) }
    }

    /// Appends `parker` unless it is in the list already: a waiter that looks again in slices
    /// registers once, however long it waits.
    mutating func appendOnce(_ parker: Parker) {
        if first === parker || rest.contains(where: { $0 === parker }) { return }
        append(parker)
    }

    /// Takes every parker out, leaving this list empty.
    mutating func take() -> Parkers {
        let taken = self
        self = Parkers()
        return taken
    }

    func unparkAll() {
        first?.unpark()
        for parker in rest { parker.unpark() }
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
