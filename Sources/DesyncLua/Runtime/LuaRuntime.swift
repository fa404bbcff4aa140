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

    /// A runtime whose objects run on `scheduler`.
    public init(scheduler: Scheduler = .shared) {
        guard let state = desync_newstate() else { fatalError("desync: cannot create a Lua state") }
        hostState = state
        core = RuntimeCore(scheduler: scheduler)
        hostContext = LuaStateContext.attach(to: state, runtime: core, object: nil, isHost: true)
        DesyncModule.install(in: state)
        refreshPackagePaths()
    }

    deinit {
        StatePreparation.close(hostState)
    }

    /// The scheduler the runtime's objects run on (`:threads`, `:stats`).
    public var scheduler: Scheduler { core.scheduler }

    /// Objects made from now on start with the host's current `package.path` and `package.cpath`.
    /// Call after changing them from Swift; `desync.new` calls it from Lua.
    public func refreshPackagePaths() {
        core.packagePaths = StatePreparation.packagePaths(of: hostState)
    }

    /// Runs Lua source in the host state. Returns nil on success, or the error message with a
    /// traceback.
    @discardableResult
    public func execute(_ source: String, name: String = "=(desync)") -> String? {
        let L = hostState
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        desync_pushtraceback(L)
        guard luaL_loadbufferx(L, source, source.utf8.count, name, "t") == LUA_OK,
              desync_pcall(L, 0, 0, top + 1) == LUA_OK
        else { return describeError(at: -1, in: L) }
        return nil
    }

    /// Blocks until every object's queued work has run. With a pool of 0 threads, runs the work
    /// itself, object by object (nothing queued is dropped at exit). Returns false if interrupted.
    @discardableResult
    public func waitUntilIdle() -> Bool {
        while !core.isIdle {
            deliverPendingErrors()
            if core.takeInterrupt() { return false }
            // No thread also when none could start (the pool then runs on its callers).
            if core.scheduler.maxThreads == 0 || !core.scheduler.hasThreads {
                _ = core.runQueuedWorkHere()
            } else {
                usleep(1000)
            }
        }
        deliverPendingErrors()
        return true
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

    /// How many `async` jobs failed with nobody observing the error (no future, no `on_error`).
    public var unobservedFailureCount: Int { core.errors.unobservedCount }

    /// Runs the host's `desync.on_error` handler for errors that arrived since the last call.
    /// The REPL calls it before each prompt.
    public func deliverPendingErrors() {
        try? hostContext.deliverPending(in: hostState)
    }

    /// The live desync objects created by this runtime, with their queue lengths (`:objects`).
    public func liveObjects() -> [(name: String, pending: Int)] {
        core.liveObjects.map { ($0.name, $0.pending) }
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
