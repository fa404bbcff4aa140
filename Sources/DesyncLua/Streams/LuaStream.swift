import Desync
import NIOConcurrencyHelpers

/// `desync.stream`: a channel of Lua values shared by reference between states, like a future.
///
/// Values go in by copy (captured in the sender's state, pushed in the receiver's), one value per
/// item; `nil` cannot be sent, since a receive returns nil for "closed and drained".
///
/// Every receive goes through this class (from Lua, and from pipes reading the stream), which is
/// what lets a pipe writing into a full stream be told when room frees up: the channel itself only
/// reports readiness to read.
final class LuaStream: LuaSharedObject {
    static let luaTypeName = "desync.stream"

    let channel: DesyncChannel<LuaCargo>
    /// The most items held before `send` waits; nil when unbounded.
    let capacity: Int?
    /// One-shot callbacks for the next time room frees up (or the stream closes).
    private let roomWaiters = NIOLockedValueBox<[@Sendable () -> Void]>([])
    /// The pipe writing this stream's items, if it is a pipe's output: a host that waits here with
    /// 0 pool threads runs it. Weak: the pipe owns its output, not the other way round.
    private let producerBox = NIOLockedValueBox<WeakProducer>(WeakProducer())

    /// For `desync.stream.from(fn)`: the generator that fills the stream, run by its owner's
    /// state only (see `StreamGenerator`). Such a stream takes no `send` from Lua.
    let generator: StreamGenerator?

    /// A stream holding at most `capacity` items (1 or more), or any number when nil.
    init(capacity: Int?, generator: StreamGenerator? = nil) {
        self.capacity = capacity
        self.generator = generator
        channel = DesyncChannel(capacity: capacity)
    }

    /// The pipe feeding this stream, when it is a pipe's output.
    var producer: LuaPipe? {
        get { producerBox.withLockedValue { $0.pipe } }
        set { producerBox.withLockedValue { $0.pipe = newValue } }
    }

    var isClosed: Bool { channel.isClosed }

    /// Items sent and not yet received.
    var count: Int { channel.count }

    /// Closes the stream: receivers drain what is left, then get nil; senders are refused.
    func close() {
        channel.close()
        roomFreed()
    }

    /// Receives without waiting: the item, `.closed` when closed and drained, `.timeout` when
    /// empty.
    func take() -> DesyncChannel<LuaCargo>.ReceiveResult {
        generator?.refillIfOnHostThread()
        return received(channel.receive(timeout: .zero))
    }

    /// Receives, blocking the thread at most `timeout` (nil: until an item comes or it closes).
    /// For pool threads; the host waits through `StreamWait`, in slices.
    func receive(timeout: Duration?) -> DesyncChannel<LuaCargo>.ReceiveResult {
        generator?.refillIfOnHostThread()
        guard let timeout else {
            return received(channel.receive().map { .item($0) } ?? .closed)
        }
        return received(channel.receive(timeout: timeout))
    }

    /// Tells whoever waits for room once an item is gone.
    private func received(
        _ result: DesyncChannel<LuaCargo>.ReceiveResult
    ) -> DesyncChannel<LuaCargo>.ReceiveResult {
        if case .item = result { roomFreed() }
        return result
    }

    /// True when a send would not wait now (or the stream is closed, so it would fail at once).
    var hasRoom: Bool {
        guard let capacity else { return true }
        return channel.isClosed || channel.count < capacity
    }

    /// Calls `callback` once, when room frees up or the stream closes; returns false without
    /// registering when there is room already.
    ///
    /// The check runs under the waiters' lock and every receive takes that lock after removing
    /// its item, so a receive either happens before the check (which then sees the room) or
    /// finds the callback registered: no wake-up is lost.
    func whenRoom(_ callback: @escaping @Sendable () -> Void) -> Bool {
        roomWaiters.withLockedValue { waiters in
            if hasRoom { return false }
            waiters.append(callback)
            return true
        }
    }

    private func roomFreed() {
        let waiters = roomWaiters.withLockedValue { waiters in
            defer { waiters = [] }
            return waiters
        }
        for waiter in waiters { waiter() }
    }

    /// "desync.stream: open, 2 queued, capacity 5".
    var description: String {
        let state = isClosed ? "closed" : "open"
        let size = capacity.map { "capacity \($0)" } ?? "unbounded"
        return "\(Self.luaTypeName): \(state), \(count) queued, \(size)"
    }
}

/// A weak reference to a stream's producing pipe, kept under a lock.
private struct WeakProducer: Sendable {
    weak var pipe: LuaPipe?
}
