extension Desync {
    /// Runs `job` on every item of `sequence`, one job per item, and delivers the results in
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
    /// The source is pulled by a Swift task, so the pipe needs Swift's cooperative threads: it
    /// makes no progress while every one of them is blocked.
    ///
    /// The results need a pool thread to be computed (the consumer's `await` cannot run them), or
    /// a thread that calls `sync` on the object. See ``DesyncPipe`` for how the pipe ends and stops.
    public func pipe<S: AsyncSequence, R: Sendable>(
        _ sequence: sending S,
        backpressure: Int = 5,
        _ job: @escaping @Sendable (inout T, S.Element) -> R
    ) -> DesyncPipe<R> where S.Element: Sendable {
        precondition(backpressure >= 1, "desync: a pipe's backpressure must be 1 or more, not \(backpressure)")
        let queue = self.queue
        let output = PipeOutput<R>(depth: backpressure)
        let credits = output.credits
        let source = PipeSource(sequence)
        let feeder = Task {
            var count = 0
            // A credit is taken before each pull and given back when its result is consumed, so
            // pulled minus consumed never exceeds `backpressure`. Acquiring fails once the pipe
            // is terminated.
            while await credits.acquire() {
                guard let item = await source.next() else { break }
                count += 1
                queue.submit(.pipe, ClosureJob { (value: inout T) in
                    // The consumer is gone: skip the work nobody can see.
                    guard !output.isTerminated else { return }
                    output.push(job(&value, item))
                })
            }
            output.sourceEnded(count: count, error: source.failure)
        }
        output.setFeeder(feeder)
        return DesyncPipe(handle: PipeConsumerHandle(output))
    }
}
