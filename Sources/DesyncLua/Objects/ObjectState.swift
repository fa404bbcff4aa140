import CLua
import Desync

/// The value inside an object's `Desync`: its Lua state, made on the first job so that objects
/// that never run anything cost no state.
///
/// Every job runs as a coroutine of the state, so that a wait inside it (`f:wait()`,
/// `desync.sleep`, `other:sync`, a stream) can suspend the job instead of blocking its thread:
/// the job keeps its object's queue and lets go of the thread (`Desync.suspendRunningJob`), and
/// its next slice resumes the coroutine on whichever thread runs the queue next.
final class ObjectState {
    private var state: OpaquePointer?
    private var dataRef: Int32 = 0
    private var initialValue: LuaCargo?
    private let runtime: RuntimeCore
    /// Counts the state's memory; released after the state is closed (the allocator uses it).
    private let memory: LuaMemoryAccount
    /// The coroutine of a job that ended normally, kept for the next job: a coroutine whose
    /// function returned runs another one, so most jobs make none.
    private var idleCoroutine: (thread: OpaquePointer, ref: Int32)?
    /// What the functions a job calls see of it; one for every job of this state.
    private let running = RunningLuaJob()

    /// Jobs get the data as their first argument (not `desync.spawn`'s).
    private let passesData: Bool

    init(initialValue: LuaCargo, runtime: RuntimeCore, memory: LuaMemoryAccount, passesData: Bool = true) {
        self.passesData = passesData
        self.initialValue = initialValue
        self.runtime = runtime
        self.memory = memory
    }

    deinit {
        if let state { StatePreparation.close(state) }
    }

    /// Runs `fn(data, args...)` for a pipe's item under `lua_pcall`: a pipe's function does not
    /// suspend (a wait inside it blocks its thread).
    func run(_ call: LuaCargo, extra: LuaCargo? = nil, for object: LuaObject) -> Result<LuaCargo, LuaJobError> {
        guard let L = prepared(for: object) else { return .failure(Self.noState(object)) }
        defer { StateStandardOutput.jobEnded(in: L) }
        return onHostThread(L) { JobRunner.run(in: L, dataRef: dataRef, call: call, extra: extra) }
    }

    /// Starts a job of `object`: `fn(data, args...)` from `call` (and `extra`, appended) in a
    /// coroutine. Its outcome goes to `end` when it ends; for `.caller` it is returned when the
    /// job ends in this first slice.
    func start(
        _ call: LuaCargo, extra: LuaCargo? = nil, for object: LuaObject, kind: JobKind, end: LuaJobEnd
    ) -> LuaJobStart {
        guard let L = prepared(for: object) else { return finish(.failure(Self.noState(object)), end: end, object: object) }
        let (coroutine, ref) = takeCoroutine(in: L)
        let control: LuaJobControl?
        if case .future(_, let futureControl) = end { control = futureControl } else { control = nil }
        running.reset(coroutine: coroutine, control: control)
        let pushed = JobRunner.push(call, extra: extra, dataRef: passesData ? dataRef : nil, onto: coroutine)
        let slice: JobRunner.Slice
        switch pushed {
        case .success(let count):
            LuaStack(coroutine).prepareCoroutine()
            slice = runSlice(running, in: L, arguments: count)
        case .failure(let error): slice = .finished(.failure(error), reusable: false)
        }
        switch slice {
        case .finished(let outcome, let reusable):
            recycle(coroutine, ref: ref, reusable: reusable, in: L)
            return finish(outcome, end: end, object: object)
        case .suspended(let suspension):
            var end = end
            var handedBack: DesyncFuture<LuaCargo>?
            if case .caller = end {
                let future = DesyncPromise<LuaCargo>(driver: object.desync.waitNode).future
                end = .future(future, LuaJobControl())
                handedBack = future
            }
            let job = SuspendedLuaJob(object: object, running: running, coroutine: coroutine, coroutineRef: ref, end: end, kind: kind)
            suspend(job, on: suspension)
            return .suspended(handedBack)
        }
    }

    /// The next slice of a job that suspended: its wait is over (or cancelled).
    private func resume(_ job: SuspendedLuaJob, after suspension: LuaSuspension) {
        guard let L = state else { return }
        suspension.edge?.leave()
        job.running.control?.setSuspended(false)
        job.running.resumeAction = suspension.resume
        switch runSlice(job.running, in: L, arguments: 0) {
        case .finished(let outcome, let reusable):
            recycle(job.coroutine, ref: job.coroutineRef, reusable: reusable, in: L)
            _ = finish(outcome, end: job.end, object: job.object)
        case .suspended(let next):
            suspend(job, on: next)
        }
    }

    private func suspend(_ job: SuspendedLuaJob, on suspension: LuaSuspension) {
        var gate = suspension.gate
        if let control = job.running.control {
            control.setSuspended(true)
            gate = FirstOf([gate, control.cancelRequest])
        }
        // The wait is over when the gate opens, though the job resumes later: a wait elsewhere
        // meanwhile must not see it in the wait-for graph.
        if let edge = suspension.edge, !gate.onDone({ edge.leave() }) { edge.leave() }
        job.object.desync.suspendRunningJob(until: gate, kind: job.kind) { state in
            state.resume(job, after: suspension)
        }
    }

    /// Hands a job's outcome to where it goes.
    private func finish(_ outcome: Result<LuaCargo, LuaJobError>, end: LuaJobEnd, object: LuaObject) -> LuaJobStart {
        if let state {
            StateStandardOutput.jobEnded(in: state)
            // Once per job, after its last slice, outside the job's coroutine.
            JobRunner.checkCollector(state)
        }
        switch end {
        case .caller:
            break
        case .report:
            if case .failure(let error) = outcome { runtime.errors.report(error, on: object) }
        case .future(let future, let control):
            object.desync.jobFinishing()
            if control.isCancelled {
                future.completeCancelled()
            } else {
                future.complete(outcome.mapError { $0 })
            }
        }
        return .finished(outcome)
    }

    /// One slice of a job: its coroutine runs until it returns, fails or suspends.
    private func runSlice(_ running: RunningLuaJob, in L: OpaquePointer, arguments: Int32) -> JobRunner.Slice {
        guard let coroutine = running.coroutine else { return .finished(.failure(JobRunner.failure(in: L, "desync: a job without a coroutine")), reusable: false) }
        // Each job run inside another's `sync` on this thread nests C frames (a few KiB); past
        // the limit the job fails instead of overflowing the thread's stack.
        guard let nesting = NestedJobs.enter() else {
            return .finished(.failure(JobRunner.failure(
                in: L, "C stack overflow (more than \(NestedJobs.limit) desync jobs nested in one another's sync on one thread)")), reusable: false)
        }
        defer { NestedJobs.leave(nesting) }
        let context = LuaStateContext.of(L)
        let outer = context?.runningJob
        context?.runningJob = running
        defer { context?.runningJob = outer }
        return onHostThread(coroutine) {
            JobRunner.resume(running, coroutine: coroutine, from: L, arguments: arguments)
        }
    }

    /// Runs Lua code in `L` (a state or coroutine), telling the host when it runs on its thread
    /// (Ctrl-C reaches it there).
    private func onHostThread<R>(_ L: OpaquePointer, _ body: () -> R) -> R {
        if runtime.isOnHostThread, let host = runtime.hostThreadLuaCode.withLockedValue({ $0 }) {
            let previous = host.entering(L)
            defer { host.leaving(L, resuming: previous) }
            return body()
        }
        return body()
    }

    private func takeCoroutine(in L: OpaquePointer) -> (OpaquePointer, Int32) {
        if let idle = idleCoroutine.take() { return idle }
        let thread = LuaStack(L).newThread()
        let ref = LuaStack(L).reference(in: DESYNC_LUA_REGISTRYINDEX)
        return (thread, ref)
    }

    /// A coroutine whose job returned normally can run the next job; one that failed or was
    /// abandoned is dropped.
    private func recycle(_ coroutine: OpaquePointer, ref: Int32, reusable: Bool, in L: OpaquePointer) {
        if reusable, idleCoroutine == nil {
            LuaStack(coroutine).setTop(0)
            // Each job starts as on a fresh coroutine: a hook one job set (debug.sethook) must
            // not run in the next.
            LuaStack(coroutine).setHook(nil, mask: 0, count: 0)
            idleCoroutine = (coroutine, ref)
        } else {
            LuaStack(L).release(ref, in: DESYNC_LUA_REGISTRYINDEX)
        }
    }

    private static func noState(_ object: LuaObject) -> LuaJobError {
        let message = "desync: cannot create a Lua state for \(object.name)"
        return LuaJobError(value: LuaCargo(), text: message)
    }

    private func prepared(for object: LuaObject) -> OpaquePointer? {
        if let state { return state }
        guard let L = StatePreparation.newObjectState(runtime: runtime, object: object, memory: memory) else { return nil }
        initialValue?.push(onto: L)
        initialValue = nil
        dataRef = LuaStack(L).reference(in: DESYNC_LUA_REGISTRYINDEX)
        state = L
        return L
    }
}
