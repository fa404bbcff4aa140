extension Desync {
    /// How many of a `pipeIn`'s items the feeding task may pull ahead of the object: enough that
    /// the object never waits for the task, few enough that a fast source cannot flood it.
    static var pipeInWindow: Int { 8 }

    /// Feeds every item of `sequence` to `job`, one item at a time, in arrival order.
    ///
    /// Other jobs on the object interleave between items. While the sequence has nothing to give,
    /// the pipe holds no thread and leaves the object idle: `sync` and `async` keep working. A few
    /// items at most are pulled ahead of the object, so a fast source cannot flood it.
    ///
    /// ```swift
    /// let totals = Desync([String: Int]())
    /// let done = totals.pipeIn(orders) { totals, order in totals[order.customer, default: 0] += order.amount }
    /// try done.wait()    // the sequence ended and every order was counted
    /// ```
    ///
    /// Only a task can pull an `AsyncSequence`, so a small task on Swift's cooperative threads
    /// moves the items in: it makes no progress while every one of them is blocked. The overloads
    /// taking a ``DesyncChannel`` or a ``DesyncPipe`` need no task.
    ///
    /// The returned future finishes when the sequence has ended and every item's job has run;
    /// it fails with the sequence's error if the sequence throws (after the jobs for the items
    /// before the error have run). `cancel()` stops the pipe only before its task has started.
    /// `wait()` on it runs the object's jobs when no thread does, so it works with 0 pool
    /// threads; `await value` needs a pool thread.
    public func pipeIn<S: AsyncSequence>(
        _ sequence: sending S,
        _ job: @escaping @Sendable (inout T, S.Element) -> Void
    ) -> DesyncFuture<Void> where S.Element: Sendable {
        let input = DesyncChannel<S.Element>(capacity: Self.pipeInWindow)
        let pipe = sinkPipe(from: input, job)
        let future = DesyncFuture<Void>(driver: pipe.driver)
        let failure = PipeFailure()
        PipeFeeder.start(sequence, into: input, credits: nil, failure: failure, startsIf: { future.start() })
        pipe.start { future.finish(failure.take().map { .failure($0) } ?? .success(())) }
        return future
    }

    /// ``pipeIn(_:_:)`` reading a channel directly: no task is involved, so the pipe runs with
    /// every Swift concurrency thread blocked, and with 0 pool threads on a thread that waits on
    /// the future. The future finishes once the channel is closed and every item's job has run;
    /// the pipe is running from the start, so `cancel()` does nothing.
    public func pipeIn<E: Sendable>(
        _ channel: DesyncChannel<E>,
        _ job: @escaping @Sendable (inout T, E) -> Void
    ) -> DesyncFuture<Void> {
        let pipe = sinkPipe(from: channel, job)
        let future = DesyncFuture<Void>(driver: pipe.driver)
        _ = future.start()
        pipe.start { future.finish(value: ()) }
        return future
    }

    /// ``pipeIn(_:_:)`` reading another pipe's results directly, with no task between the two: a
    /// waiter with 0 pool threads runs both. The future fails with the first pipe's source
    /// error, if it threw. Holds the first pipe's results until the end.
    public func pipeIn<E: Sendable>(
        _ upstream: DesyncPipe<E>,
        _ job: @escaping @Sendable (inout T, E) -> Void
    ) -> DesyncFuture<Void> {
        let handle = upstream.handle
        let pipe = sinkPipe(from: handle.output) { value, item in
            handle.consumed()
            job(&value, item)
        }
        let future = DesyncFuture<Void>(driver: pipe.driver)
        _ = future.start()
        pipe.start {
            let error = handle.failure?.take()
            future.finish(error.map { .failure($0) } ?? .success(()))
        }
        return future
    }

    private func sinkPipe<E: Sendable>(
        from input: DesyncChannel<E>, _ job: @escaping @Sendable (inout T, E) -> Void
    ) -> ChannelPipe<T, E, Never> {
        ChannelPipe(object: self, input: input, output: nil, body: { value, item in
            job(&value, item)
            return nil
        })
    }
}
