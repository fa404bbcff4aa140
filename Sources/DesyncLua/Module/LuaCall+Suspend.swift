import CLua
import Desync

extension LuaCall {
    /// The job whose own coroutine made this call, at a point where it may yield: only then can
    /// a wait suspend the job. Nil in the host, in a coroutine the job made itself, and where Lua
    /// cannot yield (inside a metamethod called from C, say): those waits block their thread.
    var suspendableJob: RunningLuaJob? {
        guard let job = LuaStateContext.of(L)?.runningJob, job.coroutine == L, desync_yieldable(L) != 0 else { return nil }
        return job
    }

    /// Suspends the calling job until `gate` opens: returns what the Swift function hands the
    /// trampoline, which yields. When the job resumes, `resume` makes the call's results (or
    /// throws its error, or suspends again). `waitsFor`: the object whose job must end first, for
    /// the wait-for graph; a wait that would close a cycle throws "deadlock: ..." instead.
    func suspend(
        _ job: RunningLuaJob, until gate: any Waitable, waitsFor target: LuaObject? = nil,
        then resume: @escaping (LuaCall) throws -> Int32
    ) throws -> Int32 {
        if let target {
            try Self.enterWaitGraph(from: L, to: target)
        }
        job.suspension = LuaSuspension(gate: gate, resume: resume, waitsFor: target)
        lua_pushlightuserdata(L, unsafeBitCast(LuaCall.resumed, to: UnsafeMutableRawPointer.self))
        return DESYNC_SUSPEND
    }

    /// Records that the job running in `L`'s state waits for a job of `target`; throws the
    /// cycle when that wait could never end. Nothing is recorded for the host, which no job
    /// waits for.
    static func enterWaitGraph(from L: OpaquePointer, to target: LuaObject) throws {
        guard let waiter = LuaStateContext.of(L)?.object else { return }
        if let cycle = WaitGraph.enter(waiter.desync.waitNode, waitsFor: target.desync.waitNode) {
            throw LuaError(message: "deadlock: \(cycle)")
        }
    }

    /// Runs `body` (a blocking wait of the job running in `L`'s state, if any, on `target`'s
    /// work) with the wait recorded in the wait-for graph.
    static func blockingWait<R>(from L: OpaquePointer, on target: LuaObject?, _ body: () throws -> R) throws -> R {
        guard let target, let waiter = LuaStateContext.of(L)?.object else { return try body() }
        try enterWaitGraph(from: L, to: target)
        defer { WaitGraph.leave(waiter.desync.waitNode) }
        return try body()
    }

    /// Where a suspended call continues when its job resumes (see `desync_resumed`): a cancel
    /// request raises "cancelled" in the job; otherwise the call's `resume` makes its results.
    static let resumed: desync_swift_function = { L in
        LuaCall.run(L, "resume") { call in
            guard let job = LuaStateContext.of(call.L)?.runningJob, let resume = job.resumeAction.take() else {
                throw LuaError(message: "desync: a job resumed with nothing to resume")
            }
            if job.control?.isCancelled == true {
                throw LuaError(message: "cancelled", withPosition: false)
            }
            return try resume(call)
        }
    }
}
