import NIOConcurrencyHelpers

extension DesyncFuture {
    /// The job's value, awaited without blocking a thread; throws the job's error.
    ///
    /// When the job is queued and no thread runs its object's queue, the awaiting task runs the
    /// queue's jobs itself, up to its own (at most a pool thread's turn of 256 jobs), as
    /// ``wait()`` and ``Desync/sync(_:)`` do: the same jobs a pool thread would have run, without
    /// handing the job to a pool thread and the result back to the task, two thread wake-ups that
    /// cost 10-40 µs a round trip on a busy machine where an actor call costs 1 µs. When another
    /// thread runs the queue, or the queue waits for something (an `after`, a suspended job), the
    /// task suspends. So `await value` works with a pool of 0 threads too, as long as the queue
    /// is not busy on a thread that leaves it before reaching this job; the task then looks again
    /// every 50 ms.
    ///
    /// A task that runs jobs runs them on its own thread, as an actor's methods are: a job that
    /// blocks that thread blocks it for the task's time. `value` runs where its caller runs
    /// (`nonisolated(nonsending)`): awaited from an actor (the main actor, say), the jobs it runs
    /// run on that actor's executor, in its isolation, with no hop to Swift's global pool and
    /// back (two thread wake-ups). Awaited from inside a job of a desync object (an actor on a
    /// ``DesyncExecutor``), it leaves that job first, as an actor's await lets go of the actor,
    /// so the jobs it runs may `sync` on that object.
    ///
    /// Cancelling the awaiting task ends the await at once with a `CancellationError` (unless the
    /// job is already done: then its outcome); a task cancelled before it awaits runs no job.
    /// That cancels the await, not the job: the job still runs unless ``cancel()`` is called too.
    ///
    /// On a simulated scheduler (``Scheduler/simulate(_:)``) the awaiting task runs the
    /// schedule on its thread until the job is done, as ``wait()`` does.
    public nonisolated(nonsending) var value: Success {
        get async throws {
            if isDone { return try finishedValue() }
            // Running jobs here would nest them inside the current job, which the await is meant
            // to let go of: a job among them that syncs the current object would stop the
            // program as re-entrant. Off the current executor, as a nonisolated await was.
            if CurrentQueue.running != nil { return try await valueOffCurrentJob() }
            // Spelled out here rather than in a function both call: an async call allocates its
            // frame from the task, and a round trip that never suspends needs none.
            runQueueHere()
            if !isDone { try await untilDone() }
            return try finishedValue()
        }
    }

    /// `value` for a caller inside a desync job: the await leaves the job (an actor on a
    /// ``DesyncExecutor``) for Swift's global pool, or stays in an async job's slice (its task
    /// executor preference).
    @concurrent
    private func valueOffCurrentJob() async throws -> Success {
        runQueueHere()
        if !isDone { try await untilDone() }
        return try finishedValue()
    }

    /// The round trip of an idle object: the job runs here, with no suspension at all. Not on a
    /// simulated scheduler, whose schedule picks what runs (`untilDone`).
    private func runQueueHere() {
        if Simulation.simulatingSchedulers.load(ordering: .relaxed) > 0, driver?.simulatingScheduler != nil {
            return
        }
        guard let queue = driver as? QueueCore, !Task.isCancelled else { return }
        queue.runJobs(forAwaiterOf: self)
        if !isDone { spinBriefly() }
    }

    /// Suspends, and runs the queue when nobody else will, until the future is done; throws
    /// `CancellationError` if the task is cancelled first.
    private nonisolated(nonsending) func untilDone() async throws {
        if !isDone, Simulation.simulatingSchedulers.load(ordering: .relaxed) > 0,
           let scheduler = driver?.simulatingScheduler {
            if Task.isCancelled { throw CancellationError() }
            if CurrentQueue.running == nil {
                if scheduler.simulatedWait(for: self, until: nil, stop: { Task.isCancelled }) == .stuck {
                    desyncFatal(Simulation.stuckMessage)
                }
            } else {
                // Inside a job (an async job's slice): the task suspends, and the schedule
                // runs the future's job, and this job's next slice, when it picks them.
                while !isDone, !Task.isCancelled { await suspend(alsoWakingOn: nil) }
            }
            if !isDone { throw CancellationError() }
            return
        }
        while !isDone {
            if Task.isCancelled { throw CancellationError() }
            let queue = driver as? QueueCore
            let alsoWakeOn: (any Waitable)?
            switch queue?.awaiterNeeds() ?? .nothing {
            case .nothing: alsoWakeOn = nil
            case .runNow:
                queue?.runJobs(forAwaiterOf: self)
                continue
            case .wakeOn(let gate): alsoWakeOn = gate
            }
            await suspend(alsoWakingOn: alsoWakeOn)
            if !isDone, !Task.isCancelled, let queue {
                queue.runJobs(forAwaiterOf: self)
            }
        }
    }

    /// Looks at `isDone` for a moment before suspending: a pool thread woken for an earlier job
    /// may claim the queue in the instant between the job's submission and the awaiting task's
    /// claim, and then runs the job at once; a suspension and its resumption cost two thread
    /// wake-ups, a hundred times this spin.
    private func spinBriefly() {
        for _ in 0..<Self.spinLooks where isDone { return }
    }

    private static var spinLooks: Int { 2000 }

    /// Suspends the task until the future is done, `gate` opens, or the task is cancelled.
    private func suspend(alsoWakingOn gate: (any Waitable)?) async {
        let awaiter = ValueAwaiter()
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                // Cancelled before this ran: `onCancel` has resumed the awaiter already.
                guard awaiter.install(continuation) else { return continuation.resume() }
                if !addAwaiter(awaiter) { return awaiter.resume() }
                if let gate, !gate.onDone({ awaiter.resume() }) { awaiter.resume() }
            }
        } onCancel: {
            awaiter.resume()
        }
        // Taken out of the future when something else resumed the task, so that a future that
        // never finishes does not keep one awaiter per cancelled task or per look at the queue.
        if !isDone { removeAwaiter(awaiter) }
    }

    /// Registers an `await value` to resume when the future is done; false, without registering,
    /// when it is done already.
    private func addAwaiter(_ awaiter: ValueAwaiter) -> Bool {
        state.withLockedValue { state in
            switch state.phase {
            case .succeeded, .failed, .cancelled: return false
            case .pending, .running:
                state.awaiters.append(awaiter)
                return true
            }
        }
    }

    private func removeAwaiter(_ awaiter: ValueAwaiter) {
        state.withLockedValue { state in
            state.awaiters.removeAll { $0 === awaiter }
        }
    }
}

/// One suspension of an `await value`, resumed exactly once: by the future becoming done, by the
/// awaiting task's cancellation, or by a gate the task also waits for, whichever comes first
/// (several may happen, from different threads).
final class ValueAwaiter: Sendable {
    private enum Phase {
        case notSuspended
        case suspended(UnsafeContinuation<Void, Never>)
        case resumed
    }

    private let phase = NIOLockedValueBox(Phase.notSuspended)

    /// Keeps `continuation` for `resume`. False when `resume` came first: the caller resumes it.
    func install(_ continuation: UnsafeContinuation<Void, Never>) -> Bool {
        phase.withLockedValue { phase in
            guard case .notSuspended = phase else { return false }
            phase = .suspended(continuation)
            return true
        }
    }

    /// Resumes the task if it is suspended and nobody resumed it yet; otherwise only makes a later
    /// `install` refuse.
    func resume() {
        let continuation: UnsafeContinuation<Void, Never>? = phase.withLockedValue { phase in
            defer { phase = .resumed }
            guard case .suspended(let continuation) = phase else { return nil }
            return continuation
        }
        continuation?.resume()
    }
}
