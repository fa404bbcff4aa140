/// Something a thread, or a paused queue, can wait for: a future, the end of one `sync` job, the
/// gate of an `after` job, or (in the Lua runtime) a stream's readiness.
///
/// Every blocking wait goes through ``BlockingWait``, which asks the target's ``driver`` to run
/// the work it waits on when no other thread will, and otherwise sleeps until the target wakes it.
package protocol Waitable: AnyObject, Sendable {
    /// True once the target is reached; never blocks.
    var isDone: Bool { get }

    /// Registers `parker` to be unparked when the target is reached. Returns false, without
    /// registering, when it is reached already.
    func addWaiter(_ parker: Parker) -> Bool

    /// Registers `callback` to run (on the thread that reaches the target) once it is reached.
    /// Returns false, without registering, when it is reached already.
    func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool

    /// What a waiting thread can run to reach the target, if anything: the queue a future's job
    /// waits in, say. Nil when only other threads can reach it.
    var driver: (any WaitDriver)? { get }
}

extension Waitable {
    /// A target that can only be reached by callbacks wakes a parker through one.
    package func addWaiter(_ parker: Parker) -> Bool {
        onDone { parker.unpark() }
    }

    package var driver: (any WaitDriver)? { nil }
}

/// Who to tell when a target is reached. Taken out under the target's lock, told outside it.
struct WakeList: Sendable {
    private var parkers = Parkers()
    private var callbacks: [@Sendable () -> Void] = []

    mutating func add(_ parker: Parker) { parkers.append(parker) }
    mutating func add(_ callback: @escaping @Sendable () -> Void) { callbacks.append(callback) }

    var isEmpty: Bool { parkers.isEmpty && callbacks.isEmpty }

    mutating func take() -> WakeList {
        let taken = self
        self = WakeList()
        return taken
    }

    func wakeAll() {
        parkers.unparkAll()
        for callback in callbacks { callback() }
    }
}
