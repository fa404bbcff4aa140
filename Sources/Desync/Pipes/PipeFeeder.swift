import NIOConcurrencyHelpers

/// Moves an `AsyncSequence`'s items into a pipe's input channel. Only a task can pull an async
/// sequence, so a pipe over one needs this small task (on Swift's cooperative threads); a pipe
/// over a ``DesyncChannel`` or another ``DesyncPipe`` needs none.
enum PipeFeeder {
    /// Starts the task. With `credits`, it takes one before each pull, and the pipe's consumer
    /// gives it back with each result it takes, so that pulled minus consumed never exceeds the
    /// pipe's depth; without, it runs ahead as far as `input`'s capacity lets it. `startsIf` runs first: false
    /// stops the feeder before it pulls anything. At the end the source's error, if it threw, is
    /// left in `failure`, then the input is closed. Cancelling the task stops it: it pulls nothing
    /// more and lets go of the sequence.
    @discardableResult
    static func start<S: AsyncSequence>(
        _ sequence: sending S,
        into input: DesyncChannel<S.Element>,
        credits: DesyncChannel<Void>?,
        failure: PipeFailure,
        startsIf: (@Sendable () -> Bool)? = nil
    ) -> Task<Void, Never> where S.Element: Sendable {
        let source = PipeSource(sequence)
        return Task {
            if let startsIf, !startsIf() { return input.close() }
            while true {
                if let credits, await credits.next() == nil { break }
                guard let item = await source.next() else { break }
                do {
                    try await input.send(item)
                } catch {
                    break
                }
            }
            failure.record(source.failure)
            input.close()
        }
    }
}

/// The error that ended a pipe's source sequence, kept for whoever ends the pipe: thrown once to
/// the consumer of a ``DesyncPipe`` after the last result, or the outcome of `pipeIn`'s future.
final class PipeFailure: Sendable {
    private struct State {
        var error: (any Error)?
        var taken = false
    }

    private let state = NIOLockedValueBox(State())

    init() {}

    /// Set by the feeder before it closes the pipe's input, so the pipe's end sees it.
    func record(_ error: (any Error)?) {
        state.withLockedValue { $0.error = error }
    }

    /// The error, the first time it is asked for; nil after, or if there was none.
    func take() -> (any Error)? {
        state.withLockedValue { state in
            guard !state.taken else { return nil }
            state.taken = true
            return state.error
        }
    }
}
