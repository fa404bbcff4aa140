/// How the host waits: in short slices, looking for Ctrl-C between them.
///
/// A blocking wait cannot be interrupted from outside, so every wait a Lua call makes on the host's
/// thread (`obj:sync` behind other jobs, `f:wait`, a stream's `send`/`receive`, `desync.sleep`)
/// blocks for at most one slice at a time; Ctrl-C (`LuaRuntime.interrupt`) then stops it within
/// that slice with "interrupted!".
enum SlicedWait {
    /// The longest a host wait blocks before it looks for Ctrl-C again.
    static let slice = Duration.milliseconds(50)

    /// The next slice to block for: `slice`, or less when `deadline` comes first; nil once the
    /// deadline has passed. No deadline: always `slice`.
    static func nextSlice(before deadline: ContinuousClock.Instant?) -> Duration? {
        guard let deadline else { return slice }
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return nil }
        return min(slice, left)
    }

    /// The deadline `seconds` from now; nil for no limit. At most about 31 years (`math.huge`
    /// waits "forever").
    static func deadline(after seconds: Double?) -> ContinuousClock.Instant? {
        seconds.map { ContinuousClock.now + duration($0) }
    }

    /// Seconds as a duration, at most about 31 years.
    static func duration(_ seconds: Double) -> Duration {
        .nanoseconds(Int64((min(seconds, 1e9) * 1e9).rounded(.up)))
    }

    /// Between slices: Ctrl-C stops the host's own wait with "interrupted!" (taking the interrupt).
    /// A job that the host runs on its thread while it waits stops as well, but leaves the
    /// interrupt for the host's wait to raise in the host's code.
    static func checkInterrupt(isHost: Bool, runtime: RuntimeCore) throws(LuaError) {
        if isHost {
            try runtime.throwIfInterrupted()
        } else if runtime.isOnHostThread, runtime.interruptRequested.load(ordering: .relaxed) {
            throw .interrupted
        }
    }
}
