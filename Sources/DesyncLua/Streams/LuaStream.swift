import Desync

/// `desync.stream`: a channel of Lua values shared by reference between states, like a future.
///
/// Values go in by copy (captured in the sender's state, pushed in the receiver's), one value per
/// item; `nil` cannot be sent, since a receive returns nil for "closed and drained".
///
/// A pipe reading or writing the stream uses its channel directly (the core's `ChannelPipe`); the
/// channel tells it when an item or room comes.
final class LuaStream: LuaSharedObject {
    static let luaTypeName = "desync.stream"

    let channel: DesyncChannel<LuaCargo>
    /// The most items held before `send` waits; nil when unbounded.
    let capacity: Int?

    /// For `desync.stream.from(fn)`: the generator that fills the stream, run by its owner's
    /// state only (see `StreamGenerator`). Such a stream takes no `send` from Lua.
    let generator: StreamGenerator?

    /// A stream holding at most `capacity` items (1 or more), or any number when nil.
    init(capacity: Int?, generator: StreamGenerator? = nil) {
        self.capacity = capacity
        self.generator = generator
        channel = DesyncChannel(capacity: capacity)
    }

    var isClosed: Bool { channel.isClosed }

    /// Items sent and not yet received.
    var count: Int { channel.count }

    /// Closes the stream: receivers drain what is left, then get nil; senders are refused.
    func close() {
        channel.close()
    }

    /// Receives without waiting: the item, `.closed` when closed and drained, `.timeout` when
    /// empty.
    func take() -> DesyncChannel<LuaCargo>.ReceiveResult {
        generator?.refillIfOnHostThread()
        return channel.tryReceive()
    }

    /// Receives, blocking the thread at most `timeout` (nil: until an item comes or it closes).
    /// For pool threads; the host waits through `StreamWait`, in slices.
    func receive(timeout: Duration?) -> DesyncChannel<LuaCargo>.ReceiveResult {
        generator?.refillIfOnHostThread()
        guard let timeout else {
            return channel.receive().map { .item($0) } ?? .closed
        }
        return channel.receive(timeout: timeout)
    }

    /// "desync.stream: open, 2 queued, capacity 5".
    var description: String {
        let state = isClosed ? "closed" : "open"
        let size = capacity.map { "capacity \($0)" } ?? "unbounded"
        return "\(Self.luaTypeName): \(state), \(count) queued, \(size)"
    }
}
