import Desync

/// How one Lua call blocks on a stream.
///
/// A pool thread blocks in the channel itself (the channel lets its pool start a stand-in thread
/// meanwhile). The host thread, and any thread when the pool has 0 threads, waits in slices
/// (`SlicedWait`) instead: between slices it checks for Ctrl-C and, with 0 pool threads, runs the
/// queued work that can feed the stream (`StreamDriving`), since no other thread will.
struct StreamWait {
    let runtime: RuntimeCore
    /// The caller is the host state (a job the host runs is not, even on the host's thread).
    let isHost: Bool

    private var sliced: Bool {
        isHost || runtime.isOnHostThread || runtime.scheduler.maxThreads == 0
    }

    /// The next item, `.closed`, or `.timeout` once `timeout` seconds passed (nil: no limit).
    func receive(from stream: LuaStream, timeout: Double?) throws(LuaError) -> DesyncChannel<LuaCargo>.ReceiveResult {
        guard sliced else { return stream.receive(timeout: timeout.map(SlicedWait.duration)) }
        let deadline = SlicedWait.deadline(after: timeout)
        while true {
            let now = stream.take()
            if case .timeout = now {} else { return now }
            try checkInterrupt()
            guard let slice = SlicedWait.nextSlice(before: deadline) else { return .timeout }
            if StreamDriving.drive(toward: stream, in: runtime) { continue }
            let later = stream.receive(timeout: slice)
            if case .timeout = later { continue }
            return later
        }
    }

    /// Sends `item`, waiting while the stream is full; an error when the stream is closed.
    func send(_ item: LuaCargo, to stream: LuaStream) throws(LuaError) {
        guard sliced else { return try refusedIfClosed { () throws(DesyncChannelError) in try stream.channel.send(item) } }
        while true {
            if try refusedIfClosed({ () throws(DesyncChannelError) in try stream.channel.trySend(item) }) { return }
            try checkInterrupt()
            if StreamDriving.drive(toward: nil, in: runtime) { continue }
            if try refusedIfClosed({ () throws(DesyncChannelError) in try stream.channel.send(item, timeout: SlicedWait.slice) }) {
                return
            }
        }
    }

    private func refusedIfClosed<R>(_ body: () throws(DesyncChannelError) -> R) throws(LuaError) -> R {
        do {
            return try body()
        } catch {
            throw LuaError(message: "cannot send on a closed desync.stream")
        }
    }

    private func checkInterrupt() throws(LuaError) {
        try SlicedWait.checkInterrupt(isHost: isHost, runtime: runtime)
    }
}
