import Desync
import NIOConcurrencyHelpers
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What all the states of one runtime share: the scheduler, the live objects, the count of
/// queued jobs (for "wait until idle"), error reporting and the interrupt flag.
final class RuntimeCore: Sendable {
    let scheduler: Scheduler
    let errors = ErrorReports()
    let trace: TraceLog
    /// Set by Ctrl-C; the host's next blocking wait (or call into desync) raises "interrupted!".
    let interruptRequested = Atomic<Bool>(false)
    /// 0 for none; see `defaultMemoryLimit`.
    private let memoryLimit = Atomic<Int>(0)
    private let stateIDs = Atomic<Int>(0)
    private let objectIDs = Atomic<Int>(0)
    private let paths: NIOLockedValueBox<(path: String, cpath: String)>
    private let objects = NIOLockedValueBox(ObjectRegistry())

    /// The thread that runs the host state: jobs it runs itself (while it waits, or with 0 pool
    /// threads) can be interrupted in `desync.sleep` too.
    let hostThread: UInt
    /// Told when jobs run Lua code on the host's thread (see `LuaRuntime.hostThreadLuaCode`).
    let hostThreadLuaCode = NIOLockedValueBox<(any HostThreadLuaCode)?>(nil)
    /// The host thread's parker: what wakes the host in a wait.
    let hostParker: Parker

    init(scheduler: Scheduler) {
        self.scheduler = scheduler
        trace = TraceLog(tracer: scheduler.tracing)
        paths = NIOLockedValueBox(("", ""))
        hostThread = UInt(pthread_self())
        hostParker = ThreadParker.current
    }

    var isOnHostThread: Bool { UInt(pthread_self()) == hostThread }

    func nextStateID() -> Int { stateIDs.add(1, ordering: .relaxed).newValue }
    func nextObjectID() -> Int { objectIDs.add(1, ordering: .relaxed).newValue }

    /// The memory limit in bytes of objects made without one of their own, nil for none
    /// (`desync.scheduler.set_memory_limit`). Set and read from any state's thread.
    var defaultMemoryLimit: Int? {
        get {
            let limit = memoryLimit.load(ordering: .relaxed)
            return limit > 0 ? limit : nil
        }
        set { memoryLimit.store(max(newValue ?? 0, 0), ordering: .relaxed) }
    }

    /// The host's module search paths, which every object's state starts with.
    var packagePaths: (path: String, cpath: String) {
        get { paths.withLockedValue { $0 } }
        set { paths.withLockedValue { $0 = newValue } }
    }

    func register(_ object: LuaObject) {
        objects.withLockedValue { $0.add(object.presence) }
    }

    var liveObjects: [LiveObject] {
        objects.withLockedValue { $0.live() }
    }

    /// With 0 pool threads nothing runs queued work unless a waiting thread does: runs the queued
    /// jobs of every live object that nobody runs, on the calling thread. True if it ran anything.
    func runQueuedWorkHere() -> Bool {
        var ran = false
        for object in liveObjects where object.pending > 0 {
            if object.desync.runQueuedJobsHere() { ran = true }
        }
        return ran
    }

    /// True when no object has work queued or running, and none had any between two readings.
    ///
    /// Read on demand rather than kept in a counter that every job's submitter and runner would
    /// update (a contended cache line per job). One pass over the objects is not enough: a job
    /// on an object read later may queue work on one read earlier, and finish, before it is read.
    /// So the pass is taken twice: when every object has nothing pending both times, the same
    /// objects exist, and no object's count of changes moved, then at the moment between the two
    /// passes nothing was queued or running anywhere, and only the host could start more.
    var isIdle: Bool {
        guard let first = quietReading() else { return false }
        guard let second = quietReading() else { return false }
        return first == second
    }

    /// Each live object's count of changes, with the registry's count of objects ever made; nil
    /// as soon as one object has work.
    private func quietReading() -> QuietReading? {
        let (objects, made) = self.objects.withLockedValue { ($0.live(), $0.made) }
        var changes: [ObjectIdentifier: Int] = [:]
        for object in objects {
            let activity = object.activity
            guard activity.pending == 0 else { return nil }
            changes[ObjectIdentifier(object)] = activity.changes
        }
        return QuietReading(made: made, changes: changes)
    }

    private struct QuietReading: Equatable {
        var made: Int
        var changes: [ObjectIdentifier: Int]
    }

    /// The host's `lua_State`, as an address (0 once closed): the host's waits fill its stream
    /// generators between their slices. Only the host's thread turns it back into a state.
    let hostStateAddress = Atomic<UInt>(0)

    /// Takes a pending interrupt, if any.
    ///
    /// Every blocking wait of the host calls this between its slices (and only the host's
    /// thread calls it), so it is also where the host fills the `desync.stream.from(fn)` streams
    /// that receivers elsewhere wait for while the host is blocked (see `StreamGenerator`).
    func takeInterrupt() -> Bool {
        refillHostGenerators()
        return interruptRequested.exchange(false, ordering: .relaxed)
    }

    /// On the host's thread: fills the host's generator streams if receivers elsewhere want them;
    /// true if it did (it ran Lua code, which may have queued work).
    func refillHostGeneratorsIfWanted() -> Bool {
        let address = hostStateAddress.load(ordering: .relaxed)
        guard address != 0, isOnHostThread, let L = OpaquePointer(bitPattern: address),
              let context = LuaStateContext.of(L), context.generatorDemand.isRaised
        else { return false }
        context.refillGenerators(in: L)
        return true
    }

    /// See `takeInterrupt`. Runs Lua code (the generators) in the host state, above whatever the
    /// host's current call has on its stack, which it leaves as it was.
    func refillHostGenerators() {
        let address = hostStateAddress.load(ordering: .relaxed)
        guard address != 0, isOnHostThread, let L = OpaquePointer(bitPattern: address),
              let context = LuaStateContext.of(L)
        else { return }
        context.refillGenerators(in: L)
    }

    /// Takes a pending interrupt and raises it as "interrupted!".
    func throwIfInterrupted() throws(LuaError) {
        if takeInterrupt() { throw .interrupted }
    }
}

/// Weak references to every object made in the runtime (to their `LiveObject`), compacted as
/// objects go away.
struct ObjectRegistry: Sendable {
    private struct Entry: Sendable {
        weak var object: LiveObject?
    }

    private var entries: [Entry] = []
    private var compactAt = 64
    /// Objects ever added: a new object between two readings of `RuntimeCore.isIdle` is activity.
    private(set) var made = 0

    mutating func add(_ object: LiveObject) {
        made += 1
        entries.append(Entry(object: object))
        if entries.count >= compactAt {
            entries.removeAll { $0.object == nil }
            compactAt = max(64, entries.count * 2)
        }
    }

    func live() -> [LiveObject] {
        entries.compactMap(\.object)
    }
}
