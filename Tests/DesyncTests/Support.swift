import Dispatch
import Synchronization
import Testing

@testable import Desync

#if canImport(Glibc)
@_exported import Glibc
#endif

/// A one-way signal between threads whose every wait is bounded, so a deadlock fails a test
/// instead of hanging it.
final class Latch: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func open() { semaphore.signal() }

    /// True when opened within the timeout.
    func wait(seconds: Double = 10) -> Bool {
        semaphore.wait(timeout: .now() + seconds) == .success
    }
}

/// Polls `condition` until it holds or the timeout passes.
func eventually(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}

var currentThread: UInt { UInt(pthread_self()) }

struct TestError: Error, Equatable {
    let code: Int
}

/// A value that tests share between threads, behind the library's pthread lock rather than
/// `Synchronization.Mutex`: on Linux a contended `Mutex` is handed over inside the kernel (a
/// futex), which ThreadSanitizer does not see, so it reports false races on the value behind it
/// (seen in CI: one report in a run of 316 passing tests).
typealias TestLock<Value> = AdaptiveLockedValue<Value>

extension AdaptiveLockedValue {
    func withLock<R>(_ body: (inout Value) -> R) -> R { withLockedValue(body) }
}
