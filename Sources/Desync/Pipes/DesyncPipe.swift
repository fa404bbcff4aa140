import Synchronization

/// The results of ``Desync/pipe(_:backpressure:_:)-(S,_,_)`` and its overloads, in the order of
/// the items they came from.
///
/// ```swift
/// let parser = Desync(Parser())
/// for try await record in parser.pipe(lines, backpressure: 16, { parser, line in parser.parse(line) }) {
///     print(record)
/// }
/// ```
///
/// A thread reads them with ``receive()`` instead; with 0 pool threads it runs the pipe while it
/// waits. Another pipe can read them too (`other.pipe(results) { ... }`), with no task between.
///
/// Iteration ends after the last item's result; if the source sequence threw, that error is
/// thrown after the results of the items before it. Once this value and every iterator made from
/// it are gone, or a task waiting for the next result is cancelled, the pipe stops: it pulls
/// nothing more from the source (and lets go of it), items pulled but not yet processed are
/// skipped, and results not yet taken are dropped. Iterators made from one pipe share its
/// results: each result goes to one of them.
public struct DesyncPipe<Element: Sendable>: AsyncSequence, Sendable {
    /// The source sequence's error, thrown after the results of the items before it.
    public typealias Failure = any Error

    let handle: PipeConsumerHandle<Element>

    /// Takes the pipe's results in order; iterators of one pipe share them.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let handle: PipeConsumerHandle<Element>

        /// The next result; nil at the end, or once the consuming task is cancelled (which stops
        /// the pipe).
        public mutating func next() async throws -> Element? {
            try await handle.next()
        }
    }

    /// An iterator over the pipe's results; while it or this value lives, the pipe runs.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: handle)
    }

    /// The next result, blocking the calling thread until there is one; nil at the end. Throws
    /// the source's error, once, after the results of the items before it.
    ///
    /// With 0 pool threads the caller runs the pipe's jobs (and those of the pipes feeding it)
    /// while it waits. Do not block a Swift concurrency thread; iterate there.
    public func receive() throws -> Element? {
        guard !handle.isTerminated else { return nil }
        if let item = handle.output.receive() {
            handle.consumed()
            return item
        }
        return try handle.ended()
    }

    /// ``receive()``, waiting at most `timeout`.
    public func receive(timeout: Duration) throws -> DesyncReceiveResult<Element> {
        guard !handle.isTerminated else { return .closed }
        switch handle.output.receive(timeout: timeout) {
        case .item(let item):
            handle.consumed()
            return .item(item)
        case .timeout: return .timeout
        case .closed:
            _ = try handle.ended()
            return .closed
        }
    }
}

/// Held only by a ``DesyncPipe`` and its iterators (and the pipes reading it): when the last of
/// them is gone, nobody can read the results, so the pipe stops.
final class PipeConsumerHandle<Element: Sendable>: Sendable {
    /// The pipe's output channel.
    let output: DesyncChannel<Element>
    /// How the source ended; nil when the pipe reads a channel, which cannot fail.
    let failure: PipeFailure?
    /// The task feeding the pipe from an `AsyncSequence`, if any: stopped with the pipe.
    private let feeder: Task<Void, Never>?
    /// The feeder's credits, if it has any: each result taken gives one back.
    private let credits: DesyncChannel<Void>?
    /// The pipe this one reads, kept running as long as this one is read.
    private let upstream: (any AnyObject & Sendable)?
    private let terminated = Atomic<Bool>(false)

    init(
        output: DesyncChannel<Element>, failure: PipeFailure?, feeder: Task<Void, Never>? = nil,
        credits: DesyncChannel<Void>? = nil, upstream: (any AnyObject & Sendable)? = nil
    ) {
        self.output = output
        self.failure = failure
        self.feeder = feeder
        self.credits = credits
        self.upstream = upstream
    }

    deinit {
        terminate()
    }

    var isTerminated: Bool { terminated.load(ordering: .acquiring) }

    /// Stops the pipe: no more pulls from the source, results dropped, consumers end. The pipe
    /// sees its output closed at its next drain job and stops there.
    func terminate() {
        terminated.store(true, ordering: .releasing)
        output.close()
        credits?.close()
        feeder?.cancel()
    }

    /// A result was taken from the output: the feeder may pull one more item.
    func consumed() {
        if let credits { _ = try? credits.trySend(()) }
    }

    func next() async throws -> Element? {
        // A cancelled consumer stops the pipe, as dropping it would.
        if Task.isCancelled || isTerminated {
            terminate()
            return nil
        }
        if let item = await output.next() {
            consumed()
            return item
        }
        if Task.isCancelled || isTerminated {
            terminate()
            return nil
        }
        return try ended()
    }

    /// The output is closed and drained: throws the source's error the first time.
    func ended() throws -> Element? {
        if let error = failure?.take() { throw error }
        return nil
    }
}
