import NIOConcurrencyHelpers

/// The one pipe: feeds a channel's items, in order, through a body run on an object's value, and
/// sends the body's results, if it has an output, to another channel. Swift's `pipe`/`pipeIn` and
/// the Lua host's `obj:pipe`/`obj:pipe_in` are this.
///
/// The pipe holds no thread, no task and no job while it waits. It registers for the input's next
/// item (`whenReadable`) or for room in its output (`whenWritable`); the callback queues one
/// *drain* job on the object (`async(kind: .pipe)`), which takes the items available now, up to
/// ``batchLimit``, runs the body on each and registers again. So other jobs interleave between
/// batches, `sync`/`async` on the object keep working while the input is open and empty, and the
/// pipe runs on any pool, with 0 pool threads too (a waiter runs its jobs: ``driver``).
///
/// A pipe with an output takes an item only while the output has room, so at most its capacity
/// of results wait for a reader: the backpressure is exact. When the input is closed and
/// drained, the pipe closes its output and runs its `onFinish`. When the output is closed by its
/// reader, the pipe stops, leaving the input as it is.
///
/// The drain path is inlinable, down to the channels' transitions, so that it is specialised for
/// the types of the module that makes the pipe (the Lua host's `LuaCargo`): unspecialised, each
/// item cost thousands of instructions of generic metadata lookups.
@usableFromInline package final class ChannelPipe<Value, Input: Sendable, Output: Sendable>: Sendable {
    /// Items one drain job takes before it goes to the back of the object's queue.
    @inlinable
    package static var batchLimit: Int { 64 }

    @usableFromInline let object: Desync<Value>
    @usableFromInline package let input: DesyncChannel<Input>
    /// Where the results go; nil for a pipe that keeps them in the object (`pipeIn`).
    @usableFromInline package let output: DesyncChannel<Output>?
    /// Runs the body on one item; a nil result sends nothing.
    @usableFromInline let body: @Sendable (inout Value, Input) -> Output?
    /// Runs before each take from the input (the Lua host refills a generator stream there).
    @usableFromInline let beforeTake: (@Sendable () -> Void)?
    /// What a thread waiting on this pipe runs with 0 pool threads; also its output's producer.
    package let driver: PipeDriver
    @usableFromInline let state = NIOLockedValueBox(PipeState<Output>())

    /// A pipe from `input` through `body` on `object`, into `output` if there is one; it starts
    /// with ``start(onFinish:)``.
    package init(
        object: Desync<Value>,
        input: DesyncChannel<Input>,
        output: DesyncChannel<Output>?,
        beforeTake: (@Sendable () -> Void)? = nil,
        body: @escaping @Sendable (inout Value, Input) -> Output?
    ) {
        self.object = object
        self.input = input
        self.output = output
        self.body = body
        self.beforeTake = beforeTake
        driver = PipeDriver(queue: object.queue, upstream: input.producer)
        output?.producer = driver
    }

    /// Starts the pipe; `onFinish` runs once the input is closed and every item was processed
    /// (after the output is closed), on the thread that finds so.
    @inlinable
    package func start(onFinish: (@Sendable () -> Void)? = nil) {
        state.withLockedValue { $0.onFinish = onFinish }
        schedule()
    }

    /// Queues a drain job unless one is queued already or the pipe is done.
    @inlinable
    func schedule() {
        guard state.withLockedValue({ $0.schedule() }) else { return }
        object.async(kind: .pipe) { value in self.drain(&value) }
    }

    /// The body of a drain job.
    @inlinable
    func drain(_ value: inout Value) {
        guard flushHeld() else { return }
        var taken = 0
        while true {
            if let output {
                switch output.sendReadiness {
                case .closed: return stop()
                case .full: return rearm { output.whenWritable($0) }
                case .room: break
                }
            }
            if taken == Self.batchLimit {
                // Back of the queue, so that the object's other jobs get their turn.
                state.withLockedValue { $0.unschedule() }
                return schedule()
            }
            beforeTake?()
            switch input.tryReceive() {
            case .item(let item):
                taken += 1
                guard let result = body(&value, item), let output else { continue }
                do {
                    // There was room; unless another sender took it, the result goes now.
                    if try output.trySend(result) { continue }
                    state.withLockedValue { $0.held = result }
                    return rearm { output.whenWritable($0) }
                } catch {
                    return stop()
                }
            case .timeout:
                return rearm { input.whenReadable($0) }
            case .closed:
                return finish()
            }
        }
    }

    /// Ends this drain job and registers `schedule` with `register`, or schedules at once when
    /// `register` reports that what it waits for is there already.
    ///
    /// `scheduled` is cleared before registering: a callback firing right away then finds it
    /// clear and queues the next job; only this job registers, so there is one callback at most.
    @inlinable
    func rearm(_ register: (@escaping @Sendable () -> Void) -> Bool) {
        state.withLockedValue { $0.unschedule() }
        if !register({ self.schedule() }) { schedule() }
    }

    /// Sends the result a drain job left because the output was full (another sender filled the
    /// room it saw). False when it must wait again: the output is full (the pipe then waits for
    /// room) or closed by its reader (the pipe then stops).
    @inlinable
    func flushHeld() -> Bool {
        guard let output, let held = state.withLockedValue({ $0.takeHeld() }) else { return true }
        do {
            if try output.trySend(held) { return true }
            state.withLockedValue { $0.held = held }
            rearm { output.whenWritable($0) }
        } catch {
            stop()
        }
        return false
    }

    /// The output was closed by its reader.
    @inlinable
    func stop() {
        state.withLockedValue { $0.stop() }
    }

    /// The input is closed and every item was processed.
    @inlinable
    func finish() {
        let onFinish = state.withLockedValue { $0.finish() }
        output?.close()
        onFinish?()
    }
}
