extension Desync {
    /// Runs `job` on every item of `sequence`, one item at a time, and delivers the results in
    /// order as an async sequence.
    ///
    /// Other jobs on the object interleave between items. While the sequence has nothing to give,
    /// the pipe holds no thread and leaves the object idle. The pipe pulls an item from the source
    /// only while fewer than `backpressure` items are pulled and their results not yet consumed:
    /// a consumer that falls that far behind stops the pipe until it catches up.
    ///
    /// ```swift
    /// let stats = Desync(Stats())
    /// let scored = stats.pipe(readings, backpressure: 8) { stats, reading in
    ///     stats.add(reading)
    ///     return stats.zScore(reading)
    /// }
    /// for try await score in scored where score > 3 { alert(score) }
    /// ```
    ///
    /// The items are processed by the object's jobs, each taking the items there are, on pool
    /// threads, or with 0 pool threads on a thread that waits for the results
    /// (``DesyncPipe/receive()``). Only a task can pull an `AsyncSequence`, so a small task on
    /// Swift's cooperative threads moves the items in: it makes no progress while every one of
    /// them is blocked. The overloads taking a ``DesyncChannel`` or another ``DesyncPipe`` need no
    /// task. See ``DesyncPipe`` for how the pipe ends and stops.
    public func pipe<S: AsyncSequence, R: Sendable>(
        _ sequence: sending S,
        backpressure: Int = 5,
        _ job: @escaping @Sendable (inout T, S.Element) -> R
    ) -> DesyncPipe<R> where S.Element: Sendable {
        let pipe = resultsPipe(from: DesyncChannel<S.Element>(capacity: backpressure), backpressure: backpressure, job)
        // One credit per item that may be pulled and its result not yet consumed.
        let credits = DesyncChannel<Void>(capacity: backpressure)
        for _ in 0..<backpressure { _ = try? credits.trySend(()) }
        let failure = PipeFailure()
        let feeder = PipeFeeder.start(sequence, into: pipe.input, credits: credits, failure: failure)
        pipe.start()
        return DesyncPipe(handle: PipeConsumerHandle(
            output: pipe.output!, failure: failure, feeder: feeder, credits: credits))
    }

    /// ``pipe(_:backpressure:_:)`` reading a channel directly: no task is involved, so the pipe
    /// runs with every Swift concurrency thread blocked, and with 0 pool threads on a thread
    /// waiting for its results. The pipe ends once the channel is closed and drained; when it is
    /// stopped (its results dropped), the items left in the channel stay there.
    public func pipe<E: Sendable, R: Sendable>(
        _ channel: DesyncChannel<E>,
        backpressure: Int = 5,
        _ job: @escaping @Sendable (inout T, E) -> R
    ) -> DesyncPipe<R> {
        let pipe = resultsPipe(from: channel, backpressure: backpressure, job)
        pipe.start()
        return DesyncPipe(handle: PipeConsumerHandle(output: pipe.output!, failure: nil))
    }

    /// ``pipe(_:backpressure:_:)`` reading another pipe's results directly, with no task between
    /// the two: a waiter with 0 pool threads runs both. An error of the first pipe's source ends
    /// this one's results in the same way. Dropping this pipe's results stops both.
    public func pipe<E: Sendable, R: Sendable>(
        _ upstream: DesyncPipe<E>,
        backpressure: Int = 5,
        _ job: @escaping @Sendable (inout T, E) -> R
    ) -> DesyncPipe<R> {
        let handle = upstream.handle
        let pipe = resultsPipe(from: handle.output, backpressure: backpressure) { value, item in
            handle.consumed()
            return job(&value, item)
        }
        pipe.start()
        return DesyncPipe(handle: PipeConsumerHandle(output: pipe.output!, failure: handle.failure, upstream: handle))
    }

    private func resultsPipe<E: Sendable, R: Sendable>(
        from input: DesyncChannel<E>,
        backpressure: Int,
        _ job: @escaping @Sendable (inout T, E) -> R
    ) -> ChannelPipe<T, E, R> {
        if !(backpressure >= 1) { desyncFatal("desync: a pipe's backpressure must be 1 or more, not \(backpressure)") }
        return ChannelPipe(
            object: self, input: input, output: DesyncChannel(capacity: backpressure),
            body: { value, item in job(&value, item) })
    }
}
