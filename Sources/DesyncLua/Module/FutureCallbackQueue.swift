import CLua
import Desync
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The `f:on_done(fn)` callbacks of one Lua state whose futures have finished: they wait here,
/// in the order the futures finished, until the state calls `desync.poll()` (only the state's
/// own thread may run Lua code in it). `desync.poll_fd()` is an eventfd that is readable exactly
/// while callbacks wait, so an event loop knows when to poll.
final class FutureCallbackQueue: Sendable {
    /// A finished future and the registry reference of the function to call with its outcome.
    struct Ready: Sendable {
        let reference: Int32
        let future: LuaFuture
    }

    private struct State {
        /// Registered, future not yet seen finished; by registration number.
        var waiting: [Int: Ready] = [:]
        var nextNumber = 0
        var ready: [Ready] = []
        /// -1 until `desync.poll_fd()` asks for it.
        var eventFD: Int32 = -1

        /// Moves the waiting callbacks that `isDone` picks to `ready`, in registration order;
        /// true if it moved any.
        mutating func makeReady(where isDone: (Int, Ready) -> Bool) -> Bool {
            let done = waiting.filter { isDone($0.key, $0.value) }.sorted { $0.key < $1.key }
            for (number, ready) in done {
                waiting.removeValue(forKey: number)
                self.ready.append(ready)
            }
            return !done.isEmpty
        }
    }

    private let state = NIOLockedValueBox(State())

    /// Closed only here, once no future's completion can write to it any more (a closed number
    /// could be reused by another file).
    deinit {
        let fd = state.withLockedValue { $0.eventFD }
        if fd >= 0 { close(fd) }
    }

    /// Registers `ready`'s callback: it becomes ready when `finished(number)` is called (by the
    /// future, on the thread that finished it), or when `takeAll` sees its future done first.
    /// A future wakes its callbacks just after it publishes its outcome, so `f:wait()` may
    /// return before that: `poll` right after must still run the callback.
    func register(_ ready: Ready) -> Int {
        state.withLockedValue { state in
            state.nextNumber += 1
            state.waiting[state.nextNumber] = ready
            return state.nextNumber
        }
    }

    func finished(_ number: Int) {
        state.withLockedValue { state in
            guard let ready = state.waiting.removeValue(forKey: number) else { return }
            // Callbacks of one future run in the order they were registered: one registered on
            // a future that had just finished is told at once, maybe before the future's own
            // wake-up has told the earlier ones.
            _ = state.makeReady { $0 < number && $1.future === ready.future }
            state.ready.append(ready)
            if state.eventFD >= 0 { Self.signal(state.eventFD) }
        }
    }

    /// The state saw `future` done (`f:wait()` or `f:result()` returned its outcome): its
    /// callbacks are ready now, and the eventfd readable, even if the future's own wake-up,
    /// which runs just after it publishes its outcome, has not told them yet.
    func seenDone(_ future: LuaFuture) {
        state.withLockedValue { state in
            guard state.makeReady(where: { $1.future === future }) else { return }
            if state.eventFD >= 0 { Self.signal(state.eventFD) }
        }
    }

    /// Everything ready, oldest first; the eventfd stops being readable.
    func takeAll() -> [Ready] {
        state.withLockedValue { state in
            _ = state.makeReady { $1.future.isDone }
            let taken = state.ready
            state.ready.removeAll()
            if state.eventFD >= 0 { Self.drain(state.eventFD) }
            return taken
        }
    }

    /// Callbacks that `desync.poll()` did not get to (one before them raised an error): they run
    /// first at the next poll.
    func putBack(_ ready: ArraySlice<Ready>) {
        guard !ready.isEmpty else { return }
        state.withLockedValue { state in
            state.ready.insert(contentsOf: ready, at: 0)
            if state.eventFD >= 0 { Self.signal(state.eventFD) }
        }
    }

    /// The eventfd, made on first use; nil with errno's message if the system refuses one.
    func eventFD() -> Result<Int32, LuaError> {
        state.withLockedValue { state in
            if state.eventFD >= 0 { return .success(state.eventFD) }
            let fd = desync_eventfd()
            guard fd >= 0 else {
                return .failure(LuaError(message: "cannot make an eventfd: \(String(cString: strerror(errno)))"))
            }
            state.eventFD = fd
            if !state.ready.isEmpty { Self.signal(fd) }
            return .success(fd)
        }
    }

    private static func signal(_ fd: Int32) {
        var one: UInt64 = 1
        _ = write(fd, &one, MemoryLayout<UInt64>.size)
    }

    private static func drain(_ fd: Int32) {
        var count: UInt64 = 0
        _ = read(fd, &count, MemoryLayout<UInt64>.size)
    }
}
