/// The source of a pipe with its sequence's type erased, so that the feeding task captures no
/// metatype of the caller's sequence (which need not be sendable): only its `Element`, which is.
/// Not sendable itself: made by the caller, then handed to the feeding task, the only user.
final class PipeSource<Element> {
    private let pull: () async throws -> Element?

    init<S: AsyncSequence>(_ sequence: consuming sending S) where S.Element == Element {
        var iterator = sequence.makeAsyncIterator()
        pull = { try await iterator.next() }
    }

    /// The error the sequence threw, which ended it; nil while it goes on or if it just ended.
    private(set) var failure: (any Error)?

    /// The next item; nil at the end, or once the sequence has thrown (see `failure`). Called by
    /// one task, one call at a time.
    func next() async -> Element? {
        guard failure == nil else { return nil }
        do {
            return try await pull()
        } catch {
            failure = error
            return nil
        }
    }
}
