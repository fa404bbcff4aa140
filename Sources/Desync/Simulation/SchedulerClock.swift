import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A scheduler's sense of time: the system's monotonic clock, or, once the scheduler simulates,
/// a virtual clock that stands still while jobs run (but for a small tick per job) and jumps to
/// the next deadline when nothing is ready, so that a run's times depend on its seed alone.
package final class SchedulerClock: Sendable {
    /// Virtual nanoseconds since `origin`, or -1 while the clock is real.
    private let virtualNanoseconds = Atomic<Int64>(-1)
    /// Where virtual time 0 is, on the system's clock: a real deadline set before the
    /// simulation started stays comparable.
    private let origin = Atomic<Int64>(0)

    package init() {}

    /// True once the clock is virtual.
    package var isVirtual: Bool { virtualNanoseconds.load(ordering: .relaxed) >= 0 }

    /// Now, on this clock.
    package var now: ContinuousClock.Instant {
        let virtual = virtualNanoseconds.load(ordering: .relaxed)
        guard virtual >= 0 else { return .now }
        return instant(virtual)
    }

    /// Nanoseconds for the tracer: the monotonic clock, or virtual time (offset by one so that 0
    /// still means "not traced").
    package var nanoseconds: UInt64 {
        let virtual = virtualNanoseconds.load(ordering: .relaxed)
        if virtual >= 0 { return UInt64(virtual) + 1 }
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Seconds for `desync.clock()`: the monotonic clock's, or virtual seconds since the
    /// simulation started.
    package var seconds: Double {
        let virtual = virtualNanoseconds.load(ordering: .relaxed)
        if virtual >= 0 { return Double(virtual) / 1e9 }
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Makes the clock virtual, at 0 from now on.
    func startVirtual() {
        origin.store(Self.offset(of: .now), ordering: .relaxed)
        virtualNanoseconds.store(0, ordering: .relaxed)
    }

    /// Moves virtual time forward to `instant` (never back).
    func advance(to instant: ContinuousClock.Instant) {
        let target = Self.offset(of: instant) - origin.load(ordering: .relaxed)
        let current = virtualNanoseconds.load(ordering: .relaxed)
        if target > current { virtualNanoseconds.store(target, ordering: .relaxed) }
    }

    /// Moves virtual time forward by `nanoseconds`.
    func tick(_ nanoseconds: Int64) {
        virtualNanoseconds.add(nanoseconds, ordering: .relaxed)
    }

    private func instant(_ virtual: Int64) -> ContinuousClock.Instant {
        Self.zero + .nanoseconds(origin.load(ordering: .relaxed) + virtual)
    }

    /// A fixed instant that offsets are counted from.
    private static let zero = ContinuousClock.Instant.now

    private static func offset(of instant: ContinuousClock.Instant) -> Int64 {
        let (seconds, attoseconds) = (instant - zero).components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
