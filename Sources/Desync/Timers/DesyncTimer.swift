import NIOConcurrencyHelpers
import Synchronization

/// A target reached at a point in time, holding no thread until then: what a suspended job waits
/// on to sleep (`desync.sleep` inside a Lua job, `desync.timer`). Its pool's ``TimerQueue`` fires
/// it.
package final class DesyncTimer: Waitable {
    package let deadline: ContinuousClock.Instant
    private let queue: TimerQueue
    private let fired = Atomic<Bool>(false)
    private let wakeList = NIOLockedValueBox(WakeList())

    /// A timer that fires at `deadline` (at once if it has passed).
    package init(deadline: ContinuousClock.Instant, queue: TimerQueue) {
        self.deadline = deadline
        self.queue = queue
        queue.add(self)
    }

    package var isDone: Bool { fired.load(ordering: .acquiring) }

    /// Waiters run the timers themselves only when no timer thread could start.
    package var driver: (any WaitDriver)? { queue.waitersFireTimers ? queue : nil }

    package func addWaiter(_ parker: Parker) -> Bool {
        wakeList.withLockedValue { list in
            if isDone { return false }
            list.add(parker)
            return true
        }
    }

    package func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool {
        wakeList.withLockedValue { list in
            if isDone { return false }
            list.add(callback)
            return true
        }
    }

    /// True while something is registered to hear of the firing. A registration that was made
    /// and is no longer wanted (a `FirstOf` whose other target came first) still counts.
    var hasWaiters: Bool {
        wakeList.withLockedValue { !$0.isEmpty }
    }

    /// Called by the timer queue once the deadline has passed.
    func fire() {
        let woken = wakeList.withLockedValue { list in
            if fired.exchange(true, ordering: .acquiringAndReleasing) { return WakeList() }
            return list.take()
        }
        woken.wakeAll()
    }
}
