/// The results of ``Desync/pipe(_:backpressure:_:)``, in the order of the items they came from.
///
/// ```swift
/// let parser = Desync(Parser())
/// for try await record in parser.pipe(lines, backpressure: 16, { parser, line in parser.parse(line) }) {
///     print(record)
/// }
/// ```
///
/// Iteration ends after the last item's result; if the source sequence threw, that error is
/// thrown after the results of the items before it. Once this value and every iterator made from
/// it are gone, or a task waiting for the next result is cancelled, the pipe stops: it pulls
/// nothing more from the source (and lets go of it), items pulled but not yet processed are
/// skipped, and results not yet taken are dropped. Iterators made from one pipe share its
/// results: each result goes to one of them.
public struct DesyncPipe<Element: Sendable>: AsyncSequence, Sendable {
    public typealias Failure = any Error

    let handle: PipeConsumerHandle<Element>

    public struct AsyncIterator: AsyncIteratorProtocol {
        let handle: PipeConsumerHandle<Element>

        /// The next result; nil at the end, or once the consuming task is cancelled (which stops
        /// the pipe).
        public mutating func next() async throws -> Element? {
            try await handle.output.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: handle)
    }
}
