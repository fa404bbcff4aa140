import DequeModule
import NIOConcurrencyHelpers

/// A first-in first-out channel for any number of senders and receivers, bounded or not, with a
/// blocking side for threads and an async side for tasks.
///
/// ```swift
/// let lines = DesyncChannel<String>(capacity: 16)
/// let reader = Desync(Reader())
/// reader.async { reader in
///     while let line = reader.nextLine() { try? lines.send(line) }  // blocks while 16 wait
///     lines.close()
/// }
/// for await line in lines { print(line) }   // suspends, holding no thread; ends once drained
/// ```
///
/// A thread would write `while let line = lines.receive() { ... }` instead: it blocks while the
/// channel is empty and returns nil once it is closed and drained.
///
/// Closing is final and idempotent: it wakes everyone waiting, refuses further sends, and leaves
/// the items already sent to be received. Both sides may mix freely: a thread may send what a
/// task receives, and the reverse.
///
/// Blocking from a ``Scheduler`` pool thread (in a job) is allowed: while the job is blocked its
/// pool may start one extra thread, so jobs on other objects that would unblock it still run.
/// A thread that is not a pool thread gets no such help: with a pool of 0 threads nothing runs by
/// itself, so a blocked receive there waits for another thread to send, unless the channel is a
/// pipe's output: the receiving thread then runs the pipe. Do not block a Swift concurrency
/// thread; use the async side there.
public final class DesyncChannel<Element: Sendable>: Sendable {
    /// What a timed ``receive(timeout:)`` got.
    public typealias ReceiveResult = DesyncReceiveResult<Element>

    /// Internal, for the inlinable hot paths (`trySend`, `tryReceive`, readiness): so that they
    /// are specialised where the element type is known (see ``ChannelState``).
    @usableFromInline let state: NIOLockedValueBox<ChannelState<Element>>

    /// A channel holding at most `capacity` items (1 or more) before `send` waits, or any number
    /// when `capacity` is nil.
    public init(capacity: Int? = nil) {
        if let capacity {
            if !(capacity >= 1) { desyncFatal("desync: a channel's capacity must be 1 or more, not \(capacity)") }
        }
        state = NIOLockedValueBox(ChannelState(capacity: capacity))
    }

    /// The most items the channel holds before `send` waits; nil when unbounded.
    @inlinable
    public var capacity: Int? { state.withLockedValue { $0.capacity } }

    /// True once ``close()`` was called (items may still be waiting to be received).
    @inlinable
    public var isClosed: Bool { state.withLockedValue { $0.isClosed } }

    /// Items sent and not yet received (not counting senders still waiting for room).
    @inlinable
    public var count: Int { state.withLockedValue { $0.buffer.count } }

    /// Closes the channel. Threads and tasks waiting to receive get nil once the items already
    /// sent are gone; waiting senders throw ``DesyncChannelError/closed``. Calling it again does
    /// nothing.
    @inlinable
    public func close() {
        state.withLockedValue { $0.close() }.perform()
    }

    // MARK: Blocking side

    /// Sends `item`, blocking the calling thread while the channel is full.
    ///
    /// - Throws: ``DesyncChannelError/closed`` if the channel is closed before the item is in;
    ///   the item is then not sent.
    public func send(_ item: Element) throws(DesyncChannelError) {
        guard try blockingSend(item, until: nil) else {
            desyncFatal("desync: a send without a deadline timed out")
        }
    }

    /// Sends `item`, blocking at most `timeout` while the channel is full. Returns false, with
    /// the item not sent, when the time ran out.
    ///
    /// ```swift
    /// if try !jobs.send(job, timeout: .milliseconds(100)) { print("queue full, dropping job") }
    /// ```
    public func send(_ item: Element, timeout: Duration) throws(DesyncChannelError) -> Bool {
        try blockingSend(item, until: .now + timeout)
    }

    /// Sends `item` if there is room now; returns false, not sending it, when the channel is full.
    @inlinable
    public func trySend(_ item: Element) throws(DesyncChannelError) -> Bool {
        switch state.withLockedValue({ $0.send(item, orWait: nil) }) {
        case .sent(let wakeups):
            wakeups.perform()
            return true
        case .closed:
            throw .closed
        case .full, .waiting:
            return false
        }
    }

    /// The next item, blocking the calling thread while the channel is empty; nil once it is
    /// closed and every item has been received.
    ///
    /// ```swift
    /// while let job = jobs.receive() { job.run() }
    /// ```
    public func receive() -> Element? {
        switch blockingReceive(until: nil) {
        case .item(let item): item
        case .closed: nil
        case .timeout: desyncFatal("desync: a receive without a deadline timed out")
        }
    }

    /// The next item, blocking at most `timeout` while the channel is empty. A zero timeout
    /// never blocks.
    ///
    /// ```swift
    /// switch events.receive(timeout: .seconds(1)) {
    /// case .item(let event): handle(event)
    /// case .timeout: heartbeat()
    /// case .closed: return
    /// }
    /// ```
    public func receive(timeout: Duration) -> ReceiveResult {
        blockingReceive(until: .now + timeout)
    }

    private func blockingSend(
        _ item: Element, until deadline: ContinuousClock.Instant?
    ) throws(DesyncChannelError) -> Bool {
        let parker = ThreadParker.current
        let wantsToWait = deadline.map { $0 > .now } ?? true
        var id: UInt64 = 0
        let step = state.withLockedValue { state in
            guard wantsToWait else { return state.send(item, orWait: nil) }
            id = state.reserveID()
            return state.send(item, orWait: .parked(parker), id: id)
        }
        switch step {
        case .sent(let wakeups):
            wakeups.perform()
            return true
        case .closed:
            throw .closed
        case .full:
            return false
        case .waiting:
            break
        }
        let taken = Scheduler.blockingOutside {
            parkUntilCollected(parker, deadline: deadline) { state, gaveUp in
                state.collectSend(id: id, gaveUp: gaveUp)
            }
        }
        switch taken {
        case true?: return true
        case false?: throw .closed
        case nil: return false
        }
    }

    private func blockingReceive(until deadline: ContinuousClock.Instant?) -> ReceiveResult {
        let wantsToWait = deadline.map { $0 > .now } ?? true
        if wantsToWait, let producer, !producer.runsByItself {
            return drivenReceive(by: producer, until: deadline)
        }
        let parker = ThreadParker.current
        var id: UInt64 = 0
        let step = state.withLockedValue { state in
            guard wantsToWait else { return state.receive(orWait: nil) }
            id = state.reserveID()
            return state.receive(orWait: .parked(parker), id: id)
        }
        switch step {
        case .item(let item, let wakeups):
            wakeups.perform()
            return .item(item)
        case .closed:
            return .closed
        case .empty:
            return .timeout
        case .waiting:
            break
        }
        let outcome = Scheduler.blockingOutside {
            parkUntilCollected(parker, deadline: deadline) { state, gaveUp in
                state.collectReceive(id: id, gaveUp: gaveUp)
            }
        }
        switch outcome {
        case let item??: return .item(item)
        case .some(nil): return .closed
        case nil: return .timeout
        }
    }

    /// A receive from a pipe's output that no pool thread would feed: while it is empty, the
    /// waiting thread runs the pipe's jobs itself (``BlockingWait`` with the pipe's driver).
    private func drivenReceive(by producer: PipeDriver, until deadline: ContinuousClock.Instant?) -> ReceiveResult {
        while true {
            let now = tryReceive()
            if case .timeout = now {} else { return now }
            if BlockingWait.wait(for: ChannelReadable(self), driver: producer, until: deadline) == .timedOut {
                return tryReceive()
            }
        }
    }

    /// The next item if there is one now, `.closed` when closed and drained, else `.timeout`;
    /// never waits.
    @inlinable
    package func tryReceive() -> ReceiveResult {
        switch state.withLockedValue({ $0.receive(orWait: nil) }) {
        case .item(let item, let wakeups):
            wakeups.perform()
            return .item(item)
        case .closed:
            return .closed
        case .empty, .waiting:
            return .timeout
        }
    }

    /// Sleeps until `collect` finds an outcome, or the deadline passes (then `collect` runs once
    /// more with `gaveUp`, to take an outcome that raced with the timeout or leave the queue).
    /// The thread's parker is shared with every other wait on the thread, so a wake-up proves
    /// nothing: the outcome is looked for after each.
    private func parkUntilCollected<Outcome>(
        _ parker: Parker,
        deadline: ContinuousClock.Instant?,
        collect: (inout ChannelState<Element>, _ gaveUp: Bool) -> Outcome?
    ) -> Outcome? {
        while true {
            let timedOut: Bool
            if let deadline {
                timedOut = !parker.park(until: deadline) && ContinuousClock.now >= deadline
            } else {
                parker.park()
                timedOut = false
            }
            if let outcome = state.withLockedValue({ collect(&$0, timedOut) }) { return outcome }
            if timedOut { return nil }
        }
    }

    // MARK: Async side

    /// Sends `item`, suspending the task (holding no thread) while the channel is full.
    ///
    /// ```swift
    /// for try await line in file.lines { try await lines.send(line) }
    /// lines.close()
    /// ```
    ///
    /// - Throws: ``DesyncChannelError/closed`` on a closed channel; `CancellationError` when the
    ///   task is cancelled while it waits for room (or is already cancelled and would have to
    ///   wait). Either way the item is not sent.
    public func send(_ item: Element) async throws {
        switch state.withLockedValue({ $0.send(item, orWait: nil) }) {
        case .sent(let wakeups):
            wakeups.perform()
            return
        case .closed:
            throw DesyncChannelError.closed
        case .full, .waiting:
            break
        }
        let id = state.withLockedValue { $0.reserveID() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let step = state.withLockedValue { state -> ChannelState<Element>.SendStep? in
                    // Checked under the lock: a cancellation after this finds the sender queued.
                    if Task.isCancelled {
                        return state.send(item, orWait: nil)
                    }
                    return state.send(item, orWait: .suspended(continuation), id: id)
                }
                switch step {
                case .sent(let wakeups)?:
                    wakeups.perform()
                    continuation.resume()
                case .closed?:
                    continuation.resume(throwing: DesyncChannelError.closed)
                case .full?, nil:
                    continuation.resume(throwing: CancellationError())
                case .waiting?:
                    break
                }
            }
        } onCancel: {
            state.withLockedValue { $0.cancelSender(id: id) }?.resume(throwing: CancellationError())
        }
    }

    /// The next item, suspending the task (holding no thread) while the channel is empty; nil
    /// once it is closed and drained, or when the task is cancelled while it waits.
    ///
    /// ```swift
    /// while let line = await lines.next() { print(line) }
    /// ```
    public func next() async -> Element? {
        switch state.withLockedValue({ $0.receive(orWait: nil) }) {
        case .item(let item, let wakeups):
            wakeups.perform()
            return item
        case .closed:
            return nil
        case .empty, .waiting:
            break
        }
        let id = state.withLockedValue { $0.reserveID() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let step = state.withLockedValue { state in
                    // Checked under the lock: a cancellation after this finds the receiver queued.
                    if Task.isCancelled { return state.receive(orWait: nil) }
                    return state.receive(orWait: .suspended(continuation), id: id)
                }
                switch step {
                case .item(let item, let wakeups):
                    wakeups.perform()
                    continuation.resume(returning: item)
                case .closed, .empty:
                    continuation.resume(returning: nil)
                case .waiting:
                    break
                }
            }
        } onCancel: {
            state.withLockedValue { $0.cancelReceiver(id: id) }?.resume(returning: nil)
        }
    }

    // MARK: Readiness, for pipes

    /// Calls `callback` once, on the thread that makes it so, when an item can be received or the
    /// channel closes; returns false without registering when that is so already. Lets a pipe
    /// wait for input holding neither a thread nor a task: register, and on the callback, take
    /// items with `receive(timeout: .zero)` until it reports `.timeout`, then register again
    /// (another receiver may have taken the item first).
    @inlinable
    package func whenReadable(_ callback: @escaping @Sendable () -> Void) -> Bool {
        state.withLockedValue { $0.whenReadable(callback) }
    }

    /// Calls `callback` once, on the thread that makes it so, when an item can be sent without
    /// waiting or the channel closes; returns false without registering when that is so already.
    /// The pipe writing into this channel waits for room this way (another sender may fill the
    /// room first: it then registers again).
    @inlinable
    package func whenWritable(_ callback: @escaping @Sendable () -> Void) -> Bool {
        state.withLockedValue { $0.whenWritable(callback) }
    }

    /// True when a send would not wait now: there is room, or the channel is closed.
    @inlinable
    package var hasRoom: Bool { state.withLockedValue { $0.hasRoom } }

    /// Whether a send would go through now, in one look.
    @inlinable
    package var sendReadiness: SendReadiness {
        state.withLockedValue { state in
            if state.isClosed { return .closed }
            return state.hasRoom ? .room : .full
        }
    }

    /// The pipe that sends this channel's items, when the channel is a pipe's output: with 0 pool
    /// threads a blocking receive runs it (and the pipes upstream of it), since nothing else will.
    package var producer: PipeDriver? {
        get { state.withLockedValue { $0.producer } }
        set { state.withLockedValue { $0.producer = newValue } }
    }
}

/// What a send would meet now.
@usableFromInline package enum SendReadiness: Sendable {
    case room, full, closed
}

/// Reached when a channel has an item to receive, or is closed.
package final class ChannelReadable<Element: Sendable>: Waitable {
    private let channel: DesyncChannel<Element>

    package init(_ channel: DesyncChannel<Element>) {
        self.channel = channel
    }

    package var isDone: Bool { channel.count > 0 || channel.isClosed }

    package func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool {
        channel.whenReadable(callback)
    }
}

/// Reached when a channel has room for an item, or is closed.
package final class ChannelWritable<Element: Sendable>: Waitable {
    private let channel: DesyncChannel<Element>

    package init(_ channel: DesyncChannel<Element>) {
        self.channel = channel
    }

    package var isDone: Bool { channel.hasRoom }

    package func onDone(_ callback: @escaping @Sendable () -> Void) -> Bool {
        channel.whenWritable(callback)
    }
}

extension DesyncChannel: AsyncSequence {
    /// Iterating a channel never throws: it ends when the channel is closed and drained.
    public typealias Failure = Never

    /// Receives items with ``DesyncChannel/next()`` until the channel is closed and drained. Any
    /// number of iterators may share one channel; each item goes to one of them.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let channel: DesyncChannel

        /// The next item; nil once the channel is closed and drained, or when the task is
        /// cancelled while it waits.
        public mutating func next() async -> Element? {
            await channel.next()
        }
    }

    /// An iterator that receives from this channel, sharing its items with every other receiver.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(channel: self)
    }
}
