/// The longest a waiter sleeps when something it must notice will not wake it (work a promise's
/// helper could run, the cancellation of an `after` job it helps along): it looks again this
/// often. Such waits are rare; every other wait sleeps until woken.
let unwokenWaitSlice = Duration.milliseconds(50)

/// Something a queue or a thread can wait for: a future, or the end of one `sync` job.
protocol Gate: AnyObject, Sendable {
    /// True once the gate is open; never blocks.
    var isDone: Bool { get }

    /// Registers `parker` to be unparked when the gate opens. Returns false, without
    /// registering, when it is open already.
    func addWaiter(_ parker: Parker) -> Bool

    /// Registers `callback` to run (on the thread that opens the gate) once it opens. Returns
    /// false, without registering, when it is open already.
    func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool

    /// Blocks until the gate opens, running whatever queue it waits on when nobody else does.
    /// Returns false if the deadline passed first.
    func help(until deadline: ContinuousClock.Instant?) -> Bool
}

/// Who to tell when a gate opens. Taken out under the gate's lock, told outside it.
struct WakeList: Sendable {
    private var parkers = Parkers()
    private var callbacks: [@Sendable () -> Void] = []

    mutating func add(_ parker: Parker) { parkers.append(parker) }
    mutating func add(_ callback: @escaping @Sendable () -> Void) { callbacks.append(callback) }

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
