#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a task in `await value` drives its future's queue: the async counterpart of the blocking
/// waiter's rules (`QueueCore.drive`), without ever waiting on a thread.
extension QueueCore {
    /// What an awaiting task needs, besides its future, to be sure the future's job runs.
    enum AwaiterNeed {
        /// Nothing: pool threads run the queue whenever it is ready.
        case nothing
        /// The queue is ready and no pool thread will run it: run it now.
        case runNow
        /// No pool thread will run the queue: wake when `gate` opens, then look again (the gate
        /// the queue waits for, or a poll timer while another thread runs the queue).
        case wakeOn(any Waitable)
    }

    /// How long a task waits to look again at a queue that another thread runs, with 0 pool
    /// threads (that thread may leave before reaching the task's job, and tells only parkers).
    static var awaiterPoll: Duration { .milliseconds(50) }

    /// Claims the queue if it is ready (jobs queued, nobody running them) and runs it here until
    /// `future` is done, the turn's 256 jobs have run, or the next job waits for a gate; then
    /// gives it back (to the pool, if jobs are left). Never waits: a queue that another thread
    /// runs, or that is paused, or that this thread runs already (an async function running
    /// inside one of the queue's own jobs), is left alone.
    func runJobs(forAwaiterOf future: any Waitable) {
        let me = ThreadID.current
        guard claimIfReady(on: me) else { return }
        // The thread's scratch batch, taken out while in use: a job run here may be an async
        // job whose code awaits another future, which runs that queue with a batch of its own.
        let scratch = AwaiterBatch.current
        var batch = JobList()
        swap(&batch, &scratch.jobs)
        drain(limit: Self.turnLimit, until: future, onPoolThread: false, batch: &batch)
        swap(&batch, &scratch.jobs)
    }

    /// See `AwaiterNeed`.
    func awaiterNeeds() -> AwaiterNeed {
        if scheduler.runsQueuedWork { return .nothing }
        let phase = state.withLockedValue { $0.phase }
        switch phase {
        case .idle:
            // The job is done with the queue, or the future is completed by hand.
            return .nothing
        case .ready:
            return .runNow
        case .suspended(let gate):
            return .wakeOn(gate)
        case .running:
            return .wakeOn(DesyncTimer(deadline: .now + Self.awaiterPoll, queue: scheduler.timers))
        }
    }
}

/// A thread's batch for the jobs its awaiting tasks run (`runJobs(forAwaiterOf:)`), kept from
/// one await to the next as a pool thread keeps its own from turn to turn: a fresh one allocated
/// and freed its storage on every round trip (about 350 instructions of ~5,900, callgrind).
/// `drain` leaves it empty, and lets go of a big backlog's storage.
final class AwaiterBatch {
    var jobs = JobList()

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { pointer in
            // Optional on Linux, not on Darwin.
            guard let pointer = pointer as UnsafeMutableRawPointer? else { return }
            Unmanaged<AwaiterBatch>.fromOpaque(pointer).release()
        }
        if status != 0 { desyncFatal("desync: cannot create a thread-local key") }
        return key
    }()

    /// The calling thread's batch, made on its first await; freed when the thread exits.
    static var current: AwaiterBatch {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<AwaiterBatch>.fromOpaque(pointer).takeUnretainedValue()
        }
        let batch = AwaiterBatch()
        pthread_setspecific(key, Unmanaged.passRetained(batch).toOpaque())
        return batch
    }
}
