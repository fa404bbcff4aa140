extension Desync {
    /// Queues an `async` job and returns a handle to its result: the job may `await`, and holds
    /// the object's queue across its suspension points, but no thread.
    ///
    /// ```swift
    /// let cache = Desync([URL: Data]())
    /// let page = cache.future { pages in
    ///     if let page = pages[url] { return page }
    ///     let (data, _) = try await URLSession.shared.data(from: url)   // the queue waits here
    ///     pages[url] = data
    ///     return data
    /// }
    /// print(try await page.value)
    /// ```
    ///
    /// The job runs in order like any job. While it is suspended, jobs queued after it wait (as
    /// Rust desync's `future_desync`), so it has the value to itself from start to end; a `sync`
    /// queued meanwhile waits too. No thread is held: the job's code resumes as a job of the
    /// object on the desync pool (or, with 0 pool threads, on a thread that waits for the object,
    /// as ``DesyncFuture/wait()``, ``sync(_:)`` and ``DesyncFuture/value`` do).
    ///
    /// The job's code runs with this object's job as its task executor preference
    /// (`withTaskExecutorPreference`): nonisolated async functions it calls, and child tasks it
    /// starts (`async let`, task groups), run in the job's slices too; code isolated to an actor
    /// runs on that actor's executor, and the job's queue waits meanwhile.
    ///
    /// Errors the job throws are rethrown by ``DesyncFuture/wait()`` and ``DesyncFuture/value``.
    /// Cancelling a task that awaits the future ends that await (`CancellationError`), not the
    /// job: the job runs to its end, and its object's queue waits for it. ``DesyncFuture/cancel()``
    /// skips the job only if it has not started.
    ///
    /// - Precondition: the job does not wait, directly or through other jobs, for a job queued
    ///   after it on the same object: that job cannot start before this one ends.
    public func future<R: Sendable>(
        _ job: @escaping @Sendable (inout T) async throws -> R
    ) -> DesyncFuture<R> {
        let future: DesyncFuture<R> = makeFuture()
        let access = ValueAccess(queue.value)
        submit(.future, completing: future) { [self] _ in
            let executor = AsyncJobExecutor()
            // Enqueued on `executor` at once, where `runSlice` runs it.
            Task(executorPreference: executor) {
                let result: Result<R, any Error>
                do {
                    result = .success(try await job(&access.pointer.pointee))
                } catch {
                    result = .failure(error)
                }
                // Here the task runs in a slice of the job again (nonisolated code runs on its
                // executor preference), as the queue's owner.
                self.jobFinishing()
                future.complete(result)
                executor.finish()
            }
            runSlice(of: executor)
        }
        return future
    }

    /// Runs the async job's task until it ends or waits; if it waits, the job suspends until the
    /// task's next job is enqueued, and runs it in its next slice.
    private func runSlice(of executor: AsyncJobExecutor) {
        guard let gate = executor.runUntilIdle() else { return }
        suspendRunningJob(until: gate, kind: .future) { [self] _ in
            runSlice(of: executor)
        }
    }
}

/// The value of an object, reached by its async job's task.
struct ValueAccess<T>: @unchecked Sendable {
    // @unchecked: the pointer is only dereferenced by the task of the object's async job, and the
    // job holds the object's queue from its first slice to its last: no other job, and no `sync`,
    // can run meanwhile, and the slices (and the task's code between them) run one at a time.
    let pointer: UnsafeMutablePointer<T>

    init(_ pointer: UnsafeMutablePointer<T>) {
        self.pointer = pointer
    }
}
