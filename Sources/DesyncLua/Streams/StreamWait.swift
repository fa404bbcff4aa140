import Desync

/// How one Lua call blocks on a stream.
///
/// A pool thread blocks in the channel itself (the channel lets its pool start a stand-in thread
/// meanwhile). The host thread, and any thread when no pool thread runs queued work, waits
/// through `LuaWait` instead: Ctrl-C stops it, and with 0 pool threads it runs the work that can
/// feed the stream (the pipe producing it first, then any queued job), since no other thread will.
struct StreamWait {
    let runtime: RuntimeCore
    /// The caller is the host state (a job the host runs is not, even on the host's thread).
    let isHost: Bool

    private var throughLuaWait: Bool {
        isHost || runtime.isOnHostThread || !runtime.scheduler.runsQueuedWork
    }

    /// The next item, `.closed`, or `.timeout` once `timeout` seconds passed (nil: no limit).
    func receive(from stream: LuaStream, timeout: Double?) throws(LuaError) -> DesyncChannel<LuaCargo>.ReceiveResult {
        guard throughLuaWait else { return stream.receive(timeout: timeout.map(LuaWait.duration)) }
        let deadline = LuaWait.deadline(after: timeout, on: runtime)
        let wait = LuaWait(runtime: runtime, isHost: isHost)
        while true {
            let now = stream.take()
            if case .timeout = now {} else { return now }
            let readable = try wait.wait(
                for: ChannelReadable(stream.channel), driver: stream.channel.producer, until: deadline,
                stuck: "cannot receive from \(stream.description)")
            if !readable { return stream.take() }
        }
    }

    /// Sends `item`, waiting while the stream is full; an error when the stream is closed.
    func send(_ item: LuaCargo, to stream: LuaStream) throws(LuaError) {
        guard throughLuaWait else {
            return try refusedIfClosed { () throws(DesyncChannelError) in try stream.channel.send(item) }
        }
        let wait = LuaWait(runtime: runtime, isHost: isHost)
        while true {
            if try refusedIfClosed({ () throws(DesyncChannelError) in try stream.channel.trySend(item) }) { return }
            _ = try wait.wait(for: ChannelWritable(stream.channel), until: nil, stuck: "cannot send to \(stream.description)")
        }
    }

    private func refusedIfClosed<R>(_ body: () throws(DesyncChannelError) -> R) throws(LuaError) -> R {
        do {
            return try body()
        } catch {
            throw LuaError(message: "cannot send on a closed desync.stream")
        }
    }
}
