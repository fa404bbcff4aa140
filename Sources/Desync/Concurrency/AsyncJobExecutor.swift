import NIOConcurrencyHelpers

/// The task executor of one async job (``Desync/future(_:)`` with an `async` closure): the jobs
/// of the job's task (its first slice, and each continuation after a suspension point) wait here
/// until a slice of the desync job runs them. A slice that finds none left suspends the desync
/// job until the next one is enqueued, so the object's queue stays held, by no thread.
final class AsyncJobExecutor: TaskExecutor {
    private struct State {
        var jobs: [UnownedJob] = []
        /// Opened by the next `enqueue`: the suspended desync job's gate.
        var gate: SyncCompletion?
        /// The task's code has returned: its last slice is running or has run.
        var finished = false
    }

    private let state = NIOLockedValueBox(State())

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let (gate, late): (SyncCompletion?, Bool) = state.withLockedValue { state in
            if state.finished { return (nil, true) }
            state.jobs.append(job)
            defer { state.gate = nil }
            return (state.gate, false)
        }
        if late {
            // A task the job started without waiting for it (`Task {}` inherits the executor
            // preference) and that outlives the job: it runs on Swift's global executor.
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
            return
        }
        gate?.open()
    }

    /// Runs the enqueued jobs, on the calling thread (a slice of the desync job), until none is
    /// left. Returns the gate the next `enqueue` opens, or nil if the task has finished.
    func runUntilIdle() -> SyncCompletion? {
        // Made only when the task waits: a job that never suspends allocates no gate.
        var nextGate: SyncCompletion?
        while true {
            enum Step { case run(UnownedJob), finished, wait, makeGate }
            let step: Step = state.withLockedValue { state in
                if !state.jobs.isEmpty { return .run(state.jobs.removeFirst()) }
                if state.finished { return .finished }
                guard let nextGate else { return .makeGate }
                state.gate = nextGate
                return .wait
            }
            switch step {
            case .run(let job): job.runSynchronously(on: asUnownedTaskExecutor())
            case .finished: return nil
            case .wait: return nextGate
            case .makeGate: nextGate = SyncCompletion()
            }
        }
    }

    /// Called by the task as its last step: later jobs go to the global executor.
    func finish() {
        state.withLockedValue { $0.finished = true }
    }
}
