import DequeModule

/// The results side of a ``DesyncPipe``, as a value: results in order, the consumers waiting for
/// them, and how the pipe ends. Transitions return what to resume once the lock is released.
struct PipeOutputState<Result: Sendable>: Sendable {
    typealias Consumer = CheckedContinuation<Result?, any Error>

    /// What to do outside the lock.
    struct Wakeups: Sendable {
        var consumers: [(Consumer, Swift.Result<Result?, any Error>)] = []
        /// Results taken by consumers: their credits go back to the feeder.
        var consumed = 0
    }

    enum Step: Sendable {
        case result(Result)
        case end(Swift.Result<Result?, any Error>)
        case waiting
    }

    private var results = Deque<Result>()
    private var consumers = Deque<Consumer>()
    private var pushed = 0
    /// Set when the source has ended: after how many items, and with what error.
    private var sourceEnd: (count: Int, error: (any Error)?)?
    /// The source's error has been thrown to a consumer; later calls just end.
    private var errorReported = false
    private(set) var isTerminated = false

    /// Every result was pushed and taken.
    private var isDrained: Bool {
        guard let sourceEnd else { return false }
        return pushed == sourceEnd.count && results.isEmpty
    }

    /// A job's result, in item order.
    mutating func push(_ result: Result) -> Wakeups {
        var wakeups = Wakeups()
        guard !isTerminated else { return wakeups }
        pushed += 1
        if let consumer = consumers.popFirst() {
            wakeups.consumers.append((consumer, .success(result)))
            wakeups.consumed = 1
        } else {
            results.append(result)
        }
        endWaitingConsumersIfDrained(into: &wakeups)
        return wakeups
    }

    /// The feeder pulled `count` items in all, and the source ended (with `error` if it threw).
    mutating func sourceEnded(count: Int, error: (any Error)?) -> Wakeups {
        sourceEnd = (count, error)
        var wakeups = Wakeups()
        endWaitingConsumersIfDrained(into: &wakeups)
        return wakeups
    }

    /// A consumer asks for the next result, and waits as `consumer` if there is none yet (nil:
    /// don't wait).
    mutating func next(orWait consumer: Consumer?) -> Step {
        if let result = results.popFirst() { return .result(result) }
        if isTerminated { return .end(.success(nil)) }
        if isDrained { return .end(takeEnd()) }
        guard let consumer else { return .waiting }
        consumers.append(consumer)
        return .waiting
    }

    /// The consumer went away: results are dropped, waiting consumers end.
    mutating func terminate() -> Wakeups {
        var wakeups = Wakeups()
        guard !isTerminated else { return wakeups }
        isTerminated = true
        results.removeAll()
        while let consumer = consumers.popFirst() {
            wakeups.consumers.append((consumer, .success(nil)))
        }
        return wakeups
    }

    private mutating func endWaitingConsumersIfDrained(into wakeups: inout Wakeups) {
        guard isDrained else { return }
        while let consumer = consumers.popFirst() {
            wakeups.consumers.append((consumer, takeEnd()))
        }
    }

    /// How the pipe ends for the next consumer to see it: the source's error once, then nil.
    private mutating func takeEnd() -> Swift.Result<Result?, any Error> {
        guard let error = sourceEnd?.error, !errorReported else { return .success(nil) }
        errorReported = true
        return .failure(error)
    }
}
