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
    private let origin = Atomic<UInt64>(0)
    private let events = NIOLockedValueBox<[TraceEvent]>([])
    /// Jobs that started while tracing and have not recorded their event yet.
    private let inFlight = Atomic<Int>(0)

    /// True between ``start()`` and ``stop()``.
    @inlinable
    public var isOn: Bool { on.load(ordering: .relaxed) }

    /// Starts a new trace, forgetting any events not yet taken.
    public func start() {
        events.withLockedValue { $0.removeAll() }
        origin.store(Self.now(), ordering: .relaxed)
        on.store(true, ordering: .releasing)
    }

    /// Stops tracing and returns the events, ordered by start time.
    ///
    /// A job's caller can see it finish (its future done, its `sync` returned) a moment before
    /// the thread that ran it records the event, so `stop` first waits, briefly (at most 100 ms),
    /// for jobs that started while tracing and are still running.
    @discardableResult
    public func stop() -> [TraceEvent] {
        on.store(false, ordering: .releasing)
        let deadline = Self.now() + 100_000_000
        while inFlight.load(ordering: .acquiring) > 0 && Self.now() < deadline {
            sched_yield()
        }
        return takeEvents()
    }

    /// The events recorded so far (tracing goes on), ordered by start time.
    public func takeEvents() -> [TraceEvent] {
        let taken = events.withLockedValue { events in
            defer { events.removeAll() }
            return events
        }
        return taken.sorted { ($0.started, $0.queued) < ($1.started, $1.queued) }
    }

    /// Nanoseconds on the monotonic clock; 0 when tracing is off (so queued jobs cost nothing).
    func stamp() -> UInt64 {
        isOn ? Self.now() : 0
    }

    /// The start time of a job about to run, or 0 when tracing is off. A non-zero start must be
    /// followed by `record`.
    func jobStarting() -> UInt64 {
        guard isOn else { return 0 }
        inFlight.add(1, ordering: .relaxed)
        return Self.now()
    }

    func record(object: String, kind: JobKind, queued: UInt64, started: UInt64, onPoolThread: Bool, resumes: Bool = false) {
        let finished = Self.now()
        let base = origin.load(ordering: .relaxed)
        func relative(_ time: UInt64) -> UInt64 { time > base ? time - base : 0 }
        let event = TraceEvent(
            object: object, kind: kind,
            queued: relative(queued == 0 ? started : queued), started: relative(started),
            finished: relative(finished), thread: TraceThreads.current, onPoolThread: onPoolThread,
            resumes: resumes)
        events.withLockedValue { $0.append(event) }
        inFlight.subtract(1, ordering: .releasing)
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
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
