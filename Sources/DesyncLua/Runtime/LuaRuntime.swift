import CLua
import Desync

#if canImport(Glibc)
import Glibc
#endif

/// The Lua side of desync for one program: the host state (the script's own) and every object
/// created from it, each with a Lua state of its own, on one scheduler.
///
/// ```swift
/// let runtime = LuaRuntime()
/// if let error = runtime.execute("""
///     local counter = desync.new({ n = 0 }, { name = "counter" })
///     counter:async(function(data) data.n = data.n + 1 end)
///     print(counter:sync(function(data) return data.n end))   -- 1
///     """) {
///     print(error)
/// }
/// runtime.waitUntilIdle()
/// ```
///
/// The host state belongs to the thread that uses the runtime; objects' states belong to whichever
/// pool thread runs their jobs.
public final class LuaRuntime {
    /// The script's own `lua_State`, with the standard libraries and `desync` loaded.
    public let hostState: OpaquePointer
    let core: RuntimeCore
    private let hostContext: LuaStateContext
    /// The host state's memory: no limit, but a failed malloc is a Lua error in its code.
    private let hostMemory = LuaMemoryAccount(limit: nil)

    /// Set by `closeHostState`: `hostState` is gone.
    private var hostStateClosed = false
    /// False for a state someone else made and closes (`require "desync"` from stock Lua).
    private let ownsHostState: Bool

    /// A runtime whose objects run on `scheduler`.
    public init(scheduler: Scheduler = .shared) {
        guard let state = StatePreparation.newHostState(memory: hostMemory) else {
            desyncFatal("desync: cannot create a Lua state")
        }
        hostState = state
        ownsHostState = true
        core = RuntimeCore(scheduler: scheduler)
        hostContext = LuaStateContext.attach(to: state, runtime: core, object: nil, isHost: true)
        DesyncModule.install(in: state)
        LinePrinting.install(in: state)
        refreshPackagePaths()
        core.hostStateAddress.store(UInt(bitPattern: Int(bitPattern: state)), ordering: .relaxed)
    }

    /// A runtime whose host state is `state` (a main thread), made and closed by the program that
    /// loaded desync.so: ``closeHostState()`` leaves it open. The module is installed by the
    /// caller (`LuaModuleHost`), in the state `require` runs in.
    init(adopting state: OpaquePointer, scheduler: Scheduler = .shared) {
        hostState = state
        ownsHostState = false
        core = RuntimeCore(scheduler: scheduler)
        hostContext = LuaStateContext.attach(to: state, runtime: core, object: nil, isHost: true)
        refreshPackagePaths()
        core.hostStateAddress.store(UInt(bitPattern: Int(bitPattern: state)), ordering: .relaxed)
    }

    deinit {
        closeHostState()
    }

    /// Closes the host state as `lua` closes its state at the end of a run: its finalizers run,
    /// and since they may queue work, ``waitUntilIdle()`` after this waits for that work too.
    /// Afterwards `hostState` must not be used; errors that would have gone to the host's
    /// `desync.on_error` handler are printed instead (and count as unobserved). Idempotent.
    public func closeHostState() {
        guard !hostStateClosed else { return }
        hostStateClosed = true
        core.hostStateAddress.store(0, ordering: .relaxed)
        if ownsHostState {
            StatePreparation.close(hostState)
        } else {
            // The state's owner closes it; desync calls made from it from now on fail cleanly.
            LuaStateContext.detach(from: hostState)
        }
        hostContext.generators.closeAll()
        core.errors.ownerClosed(hostContext.id)
    }

    /// False once ``closeHostState()`` has run.
    public var isHostStateOpen: Bool { !hostStateClosed }

    /// The scheduler the runtime's objects run on (`:threads`, `:stats`).
    public var scheduler: Scheduler { core.scheduler }

    /// True when the last ``waitUntilIdle()`` ended because the work left can never run (it said
    /// so on stderr), not because of Ctrl-C.
    public private(set) var waitFoundStuckWork = false

    /// The module search paths of objects that have none of their own: the host's current
    /// `package.path` and `package.cpath`. `desync.new` gives each object its maker's paths as
    /// they are when it is made, so this is only the fallback.
    public func refreshPackagePaths() {
        core.packagePaths = StatePreparation.packagePaths(of: hostState)
    }

    /// Runs Lua source in the host state. Returns nil on success, or the error message with a
    /// traceback.
    @discardableResult
    public func execute(_ source: String, name: String = "=(desync)") -> String? {
        let L = hostState
        let top = LuaStack(L).top
        defer { LuaStack(L).setTop(top) }
        LuaStack(L).pushTracebackHandler()
        guard LuaStack(L).load(source, name: name, mode: "t") == LUA_OK,
              LuaStack(L).protectedCall(arguments: 0, results: 0, handler: top + 1) == LUA_OK
        else { return describeError(at: -1, in: L) }
        return nil
    }

    /// When the scheduler simulates (``Scheduler/simulate(_:)``), runs the schedule on this
    /// thread until no job is ready and no timer is set (virtual time jumps to each timer), at
    /// most `steps` steps, or Ctrl-C: what the REPL does after each line, since nothing else runs
    /// a simulated schedule. Jobs still suspended then wait for something only the host can bring
    /// (a send it has not made yet); they are left as they are. Returns false when it stopped
    /// with work left (the step limit: a job that sleeps in a loop never lets the schedule run
    /// dry; or Ctrl-C). Does nothing without a simulation.
    @discardableResult
    public func runSimulatedSchedule(steps: Int = 10_000) -> Bool {
        guard scheduler.isSimulated else { return true }
        var looks = 0
        let stop = { [self] in
            looks += 1
            return betweenHostWaitSlices() || looks > steps
        }
        return scheduler.simulatedWait(for: NeverReached(), until: nil, stop: stop) != .stopped
    }

    /// What the host does between the slices of its own long waits: `on_error` handlers get the
    /// errors that arrived, its `stream.from` generators are topped up; true once Ctrl-C asked
    /// to stop.
    private func betweenHostWaitSlices() -> Bool {
        deliverPendingErrors()
        _ = core.refillHostGeneratorsIfWanted()
        return core.interruptRequested.load(ordering: .relaxed)
    }

    /// Blocks until every object's queued work has run. With a pool of 0 threads, runs the work
    /// itself (nothing queued is dropped at exit). Returns false if interrupted, or if, with 0
    /// pool threads, queued work is left that nothing can ever run (an `after` on a future that
    /// cannot finish): then it says so on stderr instead of waiting forever.
    ///
    /// ``waitFoundStuckWork`` tells the two failures apart.
    @discardableResult
    public func waitUntilIdle() -> Bool {
        waitFoundStuckWork = false
        let core = self.core
        // Between slices: `on_error` handlers get the errors that arrived, and Ctrl-C stops it.
        let stop = { [self] in betweenHostWaitSlices() }
        while !core.isIdle || hostGeneratorsWanted {
            if stop() { break }
            // Each object in turn: a wait on one that is drained already returns at once, and the
            // two-pass check above catches work that jobs queued on objects passed before.
            guard let busy = core.liveObjects.first(where: { $0.pending > 0 }) else {
                // Nothing queued, but the host's generators have receivers: wait for a wake-up.
                if hostGeneratorsWanted { _ = ThreadParker.current.park(until: .now + BlockingWait.slice) }
                continue
            }
            let outcome = BlockingWait.wait(
                for: busy.desync.drained, stop: stop, fallback: RuntimeWork(runtime: core), deadlocks: .report)
            if case .deadlock(let message) = outcome {
                StandardError.writeLine(message)
                waitFoundStuckWork = true
                return false
            }
            if outcome == .stuck {
                let stuck = core.liveObjects.filter { $0.pending > 0 }.map(\.name)
                StandardError.writeLine("desync: work left that can never run (no thread can run it, or every job left waits for something only a job could bring) on: \(stuck.joined(separator: ", "))")
                waitFoundStuckWork = true
                return false
            }
        }
        deliverPendingErrors()
        return !core.takeInterrupt()
    }

    /// A stream generator of the host has receivers elsewhere and room to fill.
    private var hostGeneratorsWanted: Bool {
        !hostStateClosed && hostContext.generatorDemand.isRaised
    }

    /// Writes the one-line report ("desync: error in async job on <name>: <message>") of each
    /// `async` error that nobody observes. nil, the default, writes it whole to stderr. It is
    /// called on the thread of the job that failed (or on the host's, when `desync.on_error(nil)`
    /// hands back waiting reports), so it must be thread-safe; a REPL sets it to print reports
    /// above its prompt. Such an error counts in ``unobservedFailureCount`` either way.
    public var asyncErrorPrinter: (@Sendable (String) -> Void)? {
        get { core.errors.linePrinter }
        set { core.errors.linePrinter = newValue }
    }

    /// Called, on the thread of the job that failed, each time an error is queued for a
    /// `desync.on_error` handler: a REPL waiting at its prompt uses it to wake up and call
    /// ``deliverPendingErrors()`` at once. Must be thread-safe; nil (the default) tells nobody.
    public var pendingErrorNotifier: (@Sendable () -> Void)? {
        get { core.errors.pendingNotifier }
        set { core.errors.pendingNotifier = newValue }
    }

    /// How many `async` jobs failed with nobody observing the error (no future, no `on_error`),
    /// and how many `on_error` handlers raised an error of their own.
    public var unobservedFailureCount: Int { core.errors.unobservedCount }

    /// Runs the host's `desync.on_error` handler for errors that arrived since the last call.
    /// The REPL calls it before each prompt.
    public func deliverPendingErrors() {
        guard !hostStateClosed else { return }
        try? hostContext.deliverPending(in: hostState)
    }

    /// Jobs queued or running on this runtime's objects now (what an exit would drop).
    public var pendingJobCount: Int {
        core.liveObjects.reduce(0) { $0 + $1.pending }
    }

    /// The live desync objects created by this runtime, with their queue lengths and the bytes
    /// their Lua states hold (0 before an object's first job) (`:objects`).
    public func liveObjects() -> [(name: String, pending: Int, memory: Int)] {
        core.liveObjects.map { ($0.name, $0.pending, $0.memory.used) }
    }

    /// Asks the code running in the host state to stop with the error "interrupted!" (Ctrl-C)
    /// when it is blocked in `sync`, `wait` or `sleep`.
    public func interrupt() {
        interrupter.interrupt()
    }

    /// A handle that interrupts this runtime's host from any thread (a signal-handling thread,
    /// say), while the runtime itself stays on the host's thread.
    public var interrupter: LuaInterrupter { LuaInterrupter(core: core) }

    /// Starts tracing every job of this runtime's scheduler (`--trace`, `:trace on`).
    public func startTrace() { core.trace.start() }

    /// Stops tracing and returns the events of this trace.
    @discardableResult
    public func stopTrace() -> [TraceEvent] { core.trace.stop() }

    /// True while tracing.
    public var isTracing: Bool { core.trace.isOn }

    /// Writes the trace so far as Chrome Trace Event JSON; returns an error message on failure.
    public func saveTrace(to path: String) -> String? { core.trace.save(to: path) }

    /// The trace so far as a text timeline.
    public func traceTimeline(width: Int = 60) -> String {
        TraceTimeline.render(core.trace.recorded, width: width)
    }

    /// Told when a job runs Lua code on the host's thread, so that the host's Ctrl-C handling can
    /// stop that code too (desync-lua's does). Nil: nobody is told.
    public var hostThreadLuaCode: (any HostThreadLuaCode)? {
        get { core.hostThreadLuaCode.withLockedValue { $0 } }
        set { core.hostThreadLuaCode.withLockedValue { $0 = newValue } }
    }

    /// Forgets an interrupt that nothing consumed (the REPL calls it before running a new line).
    public func clearInterrupt() {
        _ = core.takeInterrupt()
    }
}

/// Interrupts a runtime's host from any thread; see ``LuaRuntime/interrupter``.
public struct LuaInterrupter: Sendable {
    let core: RuntimeCore

    /// The host's current or next blocking desync call (`sync`, `wait`, `sleep`) stops with the
    /// error "interrupted!".
    public func interrupt() {
        core.interruptRequested.store(true, ordering: .relaxed)
    }
}
