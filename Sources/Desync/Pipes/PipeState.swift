/// The state of a ``ChannelPipe``, as a value, changed under the pipe's lock.
///
/// At most one drain job is queued or running (`scheduled`), and only drain jobs take input, so
/// items are processed one at a time, in order, each exactly once. Inlinable, with `ChannelPipe`'s
/// drain path.
@usableFromInline
struct PipeState<Output: Sendable>: Sendable {
    /// A drain job is queued or running.
    @usableFromInline var scheduled = false
    /// The input ended, or the output was closed by its reader: nothing more to do.
    @usableFromInline var finished = false
    /// A result that found the output full (someone else sent into it too): sent first by the
    /// next drain job.
    @usableFromInline var held: Output?
    /// Run once, when the input is closed and every item was processed.
    @usableFromInline var onFinish: (@Sendable () -> Void)?

    @inlinable
    init() {}

    /// True when the caller must queue a drain job: none is queued or running, and the pipe is
    /// not done.
    @inlinable
    mutating func schedule() -> Bool {
        if scheduled || finished { return false }
        scheduled = true
        return true
    }

    /// The running drain job ends without queuing the next one: the callback it registers will.
    @inlinable
    mutating func unschedule() {
        scheduled = false
    }

    @inlinable
    mutating func takeHeld() -> Output? {
        defer { held = nil }
        return held
    }

    /// The output was closed by its reader: stop, leaving the input as it is (like SIGPIPE).
    @inlinable
    mutating func stop() {
        finished = true
        held = nil
        onFinish = nil
    }

    /// The input is closed and drained: what to run now.
    @inlinable
    mutating func finish() -> (@Sendable () -> Void)? {
        finished = true
        scheduled = false
        defer { onFinish = nil }
        return onFinish
    }
}
