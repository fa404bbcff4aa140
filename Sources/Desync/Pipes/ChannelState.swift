import DequeModule

/// The state of a ``DesyncChannel``, as a value. Every transition runs under the channel's lock and
/// returns the wake-ups to perform once it is released, so nothing but bookkeeping happens under
/// the lock.
///
/// Invariants: receivers wait only while the buffer is empty; senders wait only while it is full;
/// so a new item goes straight to the first waiting receiver, and a freed slot straight to the
/// first waiting sender's item. Items are never reordered.
///
/// Inlinable, with the channel's hot paths: unspecialised, every transition looked up the
/// metadata of the generic types it touches (the deques of waiters, the tuples, `Wakeups`),
/// 36% of a Lua pipeline's instructions; specialised in the module that names `Element`, none.
@usableFromInline
struct ChannelState<Element: Sendable>: Sendable {
    /// A receiver waiting for an item.
    @usableFromInline
    enum Receiver: Sendable {
        /// A blocked thread; its item (or nil: closed) is left in `receiverOutcomes`.
        case parked(Parker)
        /// A suspended task, resumed with the item, or nil when closed or cancelled.
        case suspended(CheckedContinuation<Element?, Never>)
    }

    /// A sender waiting for room, holding its item.
    @usableFromInline
    enum Sender: Sendable {
        /// A blocked thread; whether its item was taken is left in `senderOutcomes`.
        case parked(Parker)
        /// A suspended task, resumed once its item was taken, or with an error.
        case suspended(CheckedContinuation<Void, any Error>)
    }

    /// What to do once the lock is released.
    @usableFromInline
    struct Wakeups: Sendable {
        @usableFromInline var parkers: [Parker] = []
        @usableFromInline var receivers: [(CheckedContinuation<Element?, Never>, Element?)] = []
        @usableFromInline var senders: [(CheckedContinuation<Void, any Error>, Result<Void, any Error>)] = []
        @usableFromInline var readable: [@Sendable () -> Void] = []
        @usableFromInline var writable: [@Sendable () -> Void] = []

        @inlinable
        init() {}

        @inlinable
        func perform() {
            for parker in parkers { parker.unpark() }
            for (continuation, item) in receivers { continuation.resume(returning: item) }
            for (continuation, outcome) in senders { continuation.resume(with: outcome) }
            for callback in readable { callback() }
            for callback in writable { callback() }
        }
    }

    @usableFromInline
    enum SendStep: Sendable {
        case sent(Wakeups)
        case closed
        /// Full, and the caller did not want to wait.
        case full
        /// Full: the sender was queued.
        case waiting
    }

    @usableFromInline
    enum ReceiveStep: Sendable {
        case item(Element, Wakeups)
        case closed
        /// Empty, and the caller did not want to wait.
        case empty
        /// Empty: the receiver was queued.
        case waiting
    }

    @usableFromInline let capacity: Int?
    // Set only by this type's methods (internal rather than private(set) for the inlinable ones).
    @usableFromInline var buffer = Deque<Element>()
    @usableFromInline var isClosed = false
    @usableFromInline var receivers = Deque<(id: UInt64, receiver: Receiver)>()
    @usableFromInline var senders = Deque<(id: UInt64, item: Element, sender: Sender)>()
    /// Left for blocked threads, which collect them when they wake: a receiver's item (nil when
    /// the channel closed), a sender's fate (true: taken, false: the channel closed).
    @usableFromInline var receiverOutcomes: [UInt64: Element?] = [:]
    @usableFromInline var senderOutcomes: [UInt64: Bool] = [:]
    /// One-shot callbacks for the next moment an item can be received, or the channel closes.
    @usableFromInline var readable: [@Sendable () -> Void] = []
    /// One-shot callbacks for the next moment an item can be sent without waiting, or the channel
    /// closes.
    @usableFromInline var writable: [@Sendable () -> Void] = []
    /// The pipe that sends this channel's items, if it is a pipe's output: what a waiting
    /// receiver runs when no pool thread would.
    @usableFromInline var producer: PipeDriver?
    private var nextID: UInt64 = 0

    init(capacity: Int?) {
        self.capacity = capacity
    }

    @inlinable
    var isFull: Bool {
        guard let capacity else { return false }
        return buffer.count >= capacity
    }

    /// A send would not wait now: there is room, or the channel is closed (the send fails at once).
    @inlinable
    var hasRoom: Bool { isClosed || !isFull }

    /// Sends `item`, or queues the sender as `waiter` under `id` (from ``reserveID()``) when the
    /// channel is full (nil: don't wait).
    @inlinable
    mutating func send(_ item: Element, orWait waiter: Sender?, id: UInt64 = 0) -> SendStep {
        if isClosed { return .closed }
        var wakeups = Wakeups()
        if let (id, receiver) = receivers.popFirst() {
            deliver(item, to: receiver, id: id, into: &wakeups)
            return .sent(wakeups)
        }
        if !isFull {
            buffer.append(item)
            wakeups.readable = Self.take(&readable)
            return .sent(wakeups)
        }
        guard let waiter else { return .full }
        senders.append((id, item, waiter))
        return .waiting
    }

    /// Receives the next item, or queues the receiver as `waiter` under `id` (from
    /// ``reserveID()``) when the channel is empty (nil: don't wait).
    @inlinable
    mutating func receive(orWait waiter: Receiver?, id: UInt64 = 0) -> ReceiveStep {
        if let item = buffer.popFirst() {
            var wakeups = Wakeups()
            // A slot is free: the first waiting sender's item takes it.
            if let (id, item, sender) = senders.popFirst() {
                buffer.append(item)
                accept(sender, id: id, outcome: .success(()), into: &wakeups)
            } else {
                wakeups.writable = Self.take(&writable)
            }
            return .item(item, wakeups)
        }
        if isClosed { return .closed }
        guard let waiter else { return .empty }
        receivers.append((id, waiter))
        return .waiting
    }

    /// A blocked receiver woke: its outcome if there is one (`.some(nil)`: closed). When there is
    /// none and it `gaveUp` (timed out), it leaves the queue and gets `.none`.
    mutating func collectReceive(id: UInt64, gaveUp: Bool) -> Element?? {
        if let outcome = receiverOutcomes.removeValue(forKey: id) { return .some(outcome) }
        if gaveUp, let index = receivers.firstIndex(where: { $0.id == id }) {
            receivers.remove(at: index)
        }
        return .none
    }

    /// A blocked sender woke: true when its item was taken, false when the channel closed first,
    /// nil when neither happened yet. When it `gaveUp` (timed out) it leaves the queue with its
    /// item, and gets nil.
    mutating func collectSend(id: UInt64, gaveUp: Bool) -> Bool? {
        if let outcome = senderOutcomes.removeValue(forKey: id) { return outcome }
        if gaveUp, let index = senders.firstIndex(where: { $0.id == id }) {
            senders.remove(at: index)
        }
        return nil
    }

    /// A suspended receiver's task was cancelled: its continuation, if it still waits.
    mutating func cancelReceiver(id: UInt64) -> CheckedContinuation<Element?, Never>? {
        guard let index = receivers.firstIndex(where: { $0.id == id }) else { return nil }
        guard case .suspended(let continuation) = receivers.remove(at: index).receiver else {
            return nil
        }
        return continuation
    }

    /// A suspended sender's task was cancelled: its continuation, if it still waits (its item is
    /// dropped, unsent).
    mutating func cancelSender(id: UInt64) -> CheckedContinuation<Void, any Error>? {
        guard let index = senders.firstIndex(where: { $0.id == id }) else { return nil }
        guard case .suspended(let continuation) = senders.remove(at: index).sender else {
            return nil
        }
        return continuation
    }


    /// Closes the channel: waiting receivers get nil (the buffer is empty when any wait), waiting
    /// senders are refused, buffered items stay to be received.
    @inlinable
    mutating func close() -> Wakeups {
        var wakeups = Wakeups()
        guard !isClosed else { return wakeups }
        isClosed = true
        while let (id, receiver) = receivers.popFirst() {
            deliver(nil, to: receiver, id: id, into: &wakeups)
        }
        while let (id, _, sender) = senders.popFirst() {
            accept(sender, id: id, outcome: .failure(DesyncChannelError.closed), into: &wakeups)
        }
        wakeups.readable = Self.take(&readable)
        wakeups.writable = Self.take(&writable)
        return wakeups
    }

    /// Registers `callback` for the next time an item can be received or the channel closes.
    /// False, without registering, when that is already so.
    @inlinable
    mutating func whenReadable(_ callback: @escaping @Sendable () -> Void) -> Bool {
        if !buffer.isEmpty || isClosed { return false }
        readable.append(callback)
        return true
    }

    /// Registers `callback` for the next time an item can be sent without waiting, or the channel
    /// closes. False, without registering, when that is already so. Every receive that frees a
    /// slot (one no waiting sender's item takes) runs under the same lock as this check, so no
    /// wake-up is lost between the check and the registration.
    @inlinable
    mutating func whenWritable(_ callback: @escaping @Sendable () -> Void) -> Bool {
        if hasRoom { return false }
        writable.append(callback)
        return true
    }

    /// A fresh id for a waiter, known before it is queued so that a cancellation handler racing
    /// with the queueing can name it.
    mutating func reserveID() -> UInt64 {
        defer { nextID &+= 1 }
        return nextID
    }

    @inlinable
    static func take(_ callbacks: inout [@Sendable () -> Void]) -> [@Sendable () -> Void] {
        if callbacks.isEmpty { return [] }
        defer { callbacks = [] }
        return callbacks
    }

    @inlinable
    mutating func deliver(
        _ item: Element?, to receiver: Receiver, id: UInt64, into wakeups: inout Wakeups
    ) {
        switch receiver {
        case .parked(let parker):
            receiverOutcomes[id] = .some(item)
            wakeups.parkers.append(parker)
        case .suspended(let continuation):
            wakeups.receivers.append((continuation, item))
        }
    }

    @inlinable
    mutating func accept(
        _ sender: Sender, id: UInt64, outcome: Result<Void, any Error>, into wakeups: inout Wakeups
    ) {
        switch sender {
        case .parked(let parker):
            if case .success = outcome { senderOutcomes[id] = true } else { senderOutcomes[id] = false }
            wakeups.parkers.append(parker)
        case .suspended(let continuation):
            wakeups.senders.append((continuation, outcome))
        }
    }
}
