import NIOConcurrencyHelpers
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Records one ``TraceEvent`` per job while on. Off, it costs one relaxed atomic load per job.
///
/// ```swift
/// let pool = Scheduler(maxThreads: 2)
/// pool.tracing.start()
/// Desync(0, label: "counter", scheduler: pool).sync { $0 += 1 }
/// for event in pool.tracing.stop() { print(event.object, event.kind.name, event.thread) }
/// ```
public final class Tracer: Sendable {
    @usableFromInline let on = Atomic<Bool>(false)
    /// Where times come from: virtual while the scheduler simulates.
    private let clock: SchedulerClock
    private let origin = Atomic<UInt64>(0)
    private let log = NIOLockedValueBox(TraceRecord())

    init(clock: SchedulerClock) {
        self.clock = clock
    }

    /// True between ``start()`` and ``stop()``.
    @inlinable
    public var isOn: Bool { on.load(ordering: .relaxed) }

    /// Starts a new trace, forgetting any events not yet taken.
    public func start() {
        log.withLockedValue { $0 = TraceRecord(lastSlot: $0.lastSlot) }
        origin.store(now(), ordering: .relaxed)
        on.store(true, ordering: .releasing)
    }

    /// Stops tracing and returns the events, ordered by start time. A job still running ends,
    /// in the trace, when tracing stopped (its event says ``TraceEvent/stillRunning``).
    @discardableResult
    public func stop() -> [TraceEvent] {
        on.store(false, ordering: .releasing)
        let now = relative(now())
        let events = log.withLockedValue { record in
            defer { record = TraceRecord(lastSlot: record.lastSlot) }
            return record.finished + record.running.values.map { $0.event(finished: now, stillRunning: true) }
        }
        return Self.ordered(events)
    }

    /// The events recorded so far (tracing goes on), ordered by start time.
    ///
    /// Jobs running now are included, flagged ``TraceEvent/stillRunning`` with `finished` set to
    /// now, and come again, finished, in a later take. A job's caller can see it end (its
    /// `sync` returned, its future done) a moment before the thread that ran it records the end:
    /// such a job is in the take, as still running, rather than missing from it.
    public func takeEvents() -> [TraceEvent] {
        let now = relative(now())
        let events = log.withLockedValue { record in
            defer { record.finished.removeAll() }
            return record.finished + record.running.values.map { $0.event(finished: now, stillRunning: true) }
        }
        return Self.ordered(events)
    }

    /// Nanoseconds on the monotonic clock; 0 when tracing is off (so queued jobs cost nothing).
    func stamp() -> UInt64 {
        isOn ? now() : 0
    }

    /// A simulation picked the queue whose job starts next among the ready queues `ready`
    /// (labels, in the order they became ready): the job's event shows them, the first
    /// `readyShown` of them at most (then "+N more"), so a trace of thousands of ready objects
    /// does not grow with their square.
    func notePick(among ready: [String]) {
        guard isOn else { return }
        let shown = ready.count <= Self.readyShown
            ? ready : Array(ready.prefix(Self.readyShown - 1)) + ["+\(ready.count - Self.readyShown + 1) more"]
        log.withLockedValue { $0.pick = shown }
    }

    static let readyShown = 64

    /// Notes a job about to run; returns its slot for `jobFinished`, or 0 when tracing is off.
    /// The job is in the trace from now on (as still running until it finishes), so whoever sees
    /// its result and then takes the trace finds it.
    func jobStarting(
        object: String, kind: JobKind, queued: UInt64, onPoolThread: Bool, resumes: Bool = false
    ) -> UInt64 {
        guard isOn else { return 0 }
        let started = now()
        let job = RunningJob(
            object: object, kind: kind, queued: relative(queued == 0 ? started : queued),
            started: relative(started), thread: TraceThreads.current, onPoolThread: onPoolThread,
            resumes: resumes)
        return log.withLockedValue { record in
            record.lastSlot += 1
            var job = job
            if let pick = record.pick {
                job.readyQueues = pick
                record.pick = nil
            }
            record.running[record.lastSlot] = job
            return record.lastSlot
        }
    }

    /// The job in `slot` (from `jobStarting`; 0 does nothing) has finished. A trace restarted or
    /// stopped meanwhile has already accounted for it.
    func jobFinished(_ slot: UInt64) {
        guard slot != 0 else { return }
        let finished = relative(now())
        log.withLockedValue { record in
            if let job = record.running.removeValue(forKey: slot) {
                record.finished.append(job.event(finished: finished, stillRunning: false))
            }
        }
    }

    private func relative(_ time: UInt64) -> UInt64 {
        let base = origin.load(ordering: .relaxed)
        return time > base ? time - base : 0
    }

    private static func ordered(_ events: [TraceEvent]) -> [TraceEvent] {
        events.sorted { ($0.started, $0.queued) < ($1.started, $1.queued) }
    }

    private func now() -> UInt64 {
        clock.nanoseconds
    }
}

/// What a trace holds: finished events, and the jobs that started while tracing and still run,
/// by slot. Slots are never reused, across traces too, so a job that started in an earlier trace
/// and finishes in this one cannot be mistaken for one of this trace's.
private struct TraceRecord {
    var finished: [TraceEvent] = []
    var running: [UInt64: RunningJob] = [:]
    var lastSlot: UInt64 = 0
    /// The ready queues of a simulation's pick, for the job it starts next.
    var pick: [String]?
}

/// A job that started while tracing: its event, but for its end.
private struct RunningJob {
    let object: String
    let kind: JobKind
    let queued: UInt64
    let started: UInt64
    let thread: Int
    let onPoolThread: Bool
    let resumes: Bool
    var readyQueues: [String] = []

    func event(finished: UInt64, stillRunning: Bool) -> TraceEvent {
        TraceEvent(
            object: object, kind: kind, queued: queued, started: started,
            finished: max(finished, started), thread: thread, onPoolThread: onPoolThread,
            resumes: resumes, stillRunning: stillRunning, readyQueues: readyQueues)
    }
}

/// Small, stable numbers for threads, given in order of first use.
enum TraceThreads {
    private static let next = Atomic<Int>(0)
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        if pthread_key_create(&key, nil) != 0 { desyncFatal("desync: cannot create a thread-local key") }
        return key
    }()

    static var current: Int {
        if let value = pthread_getspecific(key) { return Int(bitPattern: value) }
        let number = next.add(1, ordering: .relaxed).newValue
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: number))
        return number
    }
}
