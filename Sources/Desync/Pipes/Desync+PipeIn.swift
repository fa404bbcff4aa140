extension Desync {
    /// How many of a `pipeIn`'s items may wait in the object's queue at once: enough that the
    /// object never waits for the feeding task, few enough that a fast source cannot flood it.
    static var pipeInWindow: Int { 8 }

    /// Feeds every item of `sequence` to `job`, one job per item, in arrival order.
    ///
    /// Other jobs on the object interleave between items. While the sequence has nothing to give,
    /// the pipe holds no thread and leaves the object idle: `sync` and `async` keep working. A few
    /// items at most are queued ahead of the object, so a fast source cannot flood it.
    ///
    /// ```swift
    /// let totals = Desync([String: Int]())
    /// let done = totals.pipeIn(orders) { totals, order in totals[order.customer, default: 0] += order.amount }
    /// try done.wait()    // the sequence ended and every order was counted
    /// ```
    ///
    /// The source is pulled by a Swift task, so the pipe needs Swift's cooperative threads: it
    /// makes no progress while every one of them is blocked.
    ///
    /// The returned future finishes when the sequence has ended and every item's job has run;
    /// it fails with the sequence's error if the sequence throws (after the jobs for the items
    /// before the error have run). `cancel()` stops the pipe only before it has started.
    /// `wait()` on it runs the object's jobs when no thread does, so it works with 0 pool
    /// threads; `await value` needs a pool thread.
    public func pipeIn<S: AsyncSequence>(
        _ sequence: sending S,
        _ job: @escaping @Sendable (inout T, S.Element) -> Void
    ) -> DesyncFuture<Void> where S.Element: Sendable {
        let queue = self.queue
        // A blocking wait runs the object's queue while items are queued, and sleeps on it while
        // it is idle: the next submission (or the future's end) wakes it.
        let future = DesyncFuture<Void>(driver: queue)
        let credits = PipeCredits(Self.pipeInWindow)
        let source = PipeSource(sequence)
        Task {
            guard future.start() else { return }
            // A credit is taken before each pull and given back when the item's job has run.
            while await credits.acquire() {
                guard let item = await source.next() else {
                    credits.release()
                    break
                }
                queue.submit(.pipe, ClosureJob { (value: inout T) in
                    job(&value, item)
                    credits.release()
                })
            }
            // Nobody closes these credits or cancels this task, so this returns once every
            // submitted job has run.
            _ = await credits.waitForAll()
            future.finish(source.failure.map { .failure($0) } ?? .success(()))
        }
        return future
    }
}
