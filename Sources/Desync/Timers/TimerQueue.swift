import HeapModule
import NIOConcurrencyHelpers

/// A pool's timers: one heap ordered by deadline, fired by one thread that sleeps until the
/// earliest deadline (no thread per timer). The thread starts with the first timer and leaves
/// once no timer has been set for a while, so a pool that never sets a timer has no such thread,
/// and a dropped pool does not keep one.
///
/// If the thread cannot start, waiters fire the timers they wait on themselves (``WaitDriver``).
package final class TimerQueue: Sendable {
    private struct Entry: Comparable {
        let deadline: ContinuousClock.Instant
        /// Ties keep the order in which timers were set.
        let sequence: UInt64
        let timer: DesyncTimer

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.deadline == rhs.deadline && lhs.sequence == rhs.sequence
        }
    }

    private enum ThreadPhase {
        /// No timer thread: the next timer starts one.
        case none
        /// The thread runs; unpark it when the earliest deadline moves earlier.
        case running(Parker)
        /// The system refused a thread: waiters fire timers.
        case failed
        /// The scheduler simulates: its simulation fires timers, on virtual time.
        case simulated
    }

    private struct State {
        var heap = Heap<Entry>()
        var sequence: UInt64 = 0
        var thread = ThreadPhase.none
        /// Timers taken off the heap and not done firing: until their callbacks have run (a
        /// suspended job's queue made ready), they still count as pending.
        var firing = 0
        /// Timers ever fired, counted once their callbacks have run: two equal readings mean no
        /// timer finished firing between them.
        var firedTotal = 0
    }

    private let state = NIOLockedValueBox(State())
    /// How long the timer thread stays with no timer set before it leaves.
    static let threadLinger = Duration.seconds(2)

    package init() {}

    /// Timers set and not fired.
    package var count: Int { state.withLockedValue { $0.heap.count + $0.firing } }

    /// Grows each time timers have fired, after their callbacks ran (a suspended job's queue made
    /// ready): a waiter reads it before it looks for work; unchanged after finding none, no timer
    /// made anything ready that the look could have missed (one still firing counts in
    /// `waitedCount`).
    package var firings: Int { state.withLockedValue { $0.firedTotal } }

    /// Pending timers that something waits on (a suspended job, a future's waiter): a timer
    /// nobody waits for any more (its job ended, its sleep was cancelled) will bring nothing when
    /// it fires, so a wait that asks "can anything still happen?" does not count it.
    package var waitedCount: Int {
        state.withLockedValue { state in
            state.firing + state.heap.unordered.reduce(0) { $0 + ($1.timer.hasWaiters ? 1 : 0) }
        }
    }

    /// True when no timer thread could start, so waiters must fire timers.
    var waitersFireTimers: Bool {
        state.withLockedValue { if case .failed = $0.thread { true } else { false } }
    }

    /// From now on no thread fires timers: the simulation does (`fireDue` on virtual time).
    func simulate() {
        state.withLockedValue { $0.thread = .simulated }
    }

    /// The earliest deadline of a pending timer.
    var nextDeadline: ContinuousClock.Instant? {
        state.withLockedValue { $0.heap.min?.deadline }
    }

    func add(_ timer: DesyncTimer) {
        enum Action { case none, wake(Parker), start(Parker) }
        let action: Action = state.withLockedValue { state in
            let earliest = state.heap.min?.deadline
            state.sequence &+= 1
            state.heap.insert(Entry(deadline: timer.deadline, sequence: state.sequence, timer: timer))
            switch state.thread {
            case .none:
                let parker = Parker()
                state.thread = .running(parker)
                return .start(parker)
            case .running(let parker):
                if let earliest, earliest <= timer.deadline { return .none }
                return .wake(parker)
            case .failed, .simulated:
                return .none
            }
        }
        switch action {
        case .none:
            break
        case .wake(let parker):
            parker.unpark()
        case .start(let parker):
            if WorkerThread.start({ self.runThread(parker) }) != 0 {
                state.withLockedValue { $0.thread = .failed }
            }
        }
    }

    /// Fires every timer whose deadline has passed; returns when the next one is due (nil: none).
    @discardableResult
    func fireDue(now: ContinuousClock.Instant = .now) -> (fired: Bool, next: ContinuousClock.Instant?) {
        var due: [DesyncTimer] = []
        let next: ContinuousClock.Instant? = state.withLockedValue { state in
            while let first = state.heap.min, first.deadline <= now {
                due.append(state.heap.removeMin().timer)
            }
            state.firing += due.count
            return state.heap.min?.deadline
        }
        guard !due.isEmpty else { return (false, next) }
        for timer in due { timer.fire() }
        state.withLockedValue { state in
            state.firing -= due.count
            state.firedTotal += due.count
        }
        return (true, next)
    }

    private func runThread(_ parker: Parker) {
        var idleSince = ContinuousClock.now
        while true {
            let now = ContinuousClock.now
            let (fired, next) = fireDue(now: now)
            if fired { idleSince = now }
            if let next {
                _ = parker.park(until: next)
                continue
            }
            let leaveAt = idleSince + Self.threadLinger
            if now >= leaveAt {
                let leaves = state.withLockedValue { state in
                    guard state.heap.isEmpty else { return false }
                    // Only its own phase: a simulation may have taken the timers over meanwhile.
                    if case .running = state.thread { state.thread = .none }
                    return true
                }
                if leaves { return }
                continue
            }
            _ = parker.park(until: leaveAt)
        }
    }
}

/// With no timer thread, a waiter on a timer sleeps until the earliest deadline (or its own
/// limits) and fires what is due.
extension TimerQueue: WaitDriver {
    package func drive(toward target: any Waitable, limits: WaitLimits, parker: Parker) -> DriveStep {
        let (fired, next) = fireDue()
        if fired { return .ran }
        guard let next else { return .sleep }
        var wakeAt = next
        if let deadline = limits.deadline { wakeAt = min(wakeAt, deadline) }
        if limits.stop != nil { wakeAt = min(wakeAt, .now + BlockingWait.slice) }
        _ = parker.park(until: wakeAt)
        return .ran
    }
}
