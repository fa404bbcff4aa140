import CLua
import Desync

extension LuaCall {
    /// The job whose own coroutine made this call, at a point where it may yield: only then can
    /// a wait suspend the job. Nil in the host, in a coroutine the job made itself, and where Lua
    /// cannot yield (inside a metamethod called from C, say): those waits block their thread.
    var suspendableJob: RunningLuaJob? {
        guard let job = LuaStateContext.of(L)?.runningJob, job.coroutine == L, lua.isYieldable else { return nil }
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
        let edge = try target.flatMap { try Self.enterWaitGraph(from: L, to: $0) }
        job.suspension = LuaSuspension(gate: gate, resume: resume, edge: edge)
        lua.push(lightUserdata: unsafeBitCast(LuaCall.resumed, to: UnsafeMutableRawPointer.self))
        return DESYNC_SUSPEND
    }

    /// Records that the job running in `L`'s state waits for a job of `target`; throws the
    /// cycle when that wait could never end. Nothing is recorded for the host, which no job
    /// waits for (nil).
    static func enterWaitGraph(from L: OpaquePointer, to target: LuaObject) throws -> WaitGraph.Edge? {
        guard let waiter = LuaStateContext.of(L)?.object else { return nil }
        switch WaitGraph.enter(waiter.desync.waitNode, waitsFor: target.desync.waitNode) {
        case .success(let edge): return edge
        case .failure(let cycle): throw LuaError(message: "deadlock: \(cycle.description)")
        }
    }

    /// Runs `body` (a blocking wait of the job running in `L`'s state, if any, on `target`'s
    /// work, or a `sync` that runs `target`'s job here) with the wait recorded in the wait-for
    /// graph; `reached`, when given, ends the record as soon as it is reached.
    static func blockingWait<R>(
        from L: OpaquePointer, on target: LuaObject?, reached: (any Waitable)? = nil, _ body: () throws -> R
    ) throws -> R {
        guard let target, let edge = try enterWaitGraph(from: L, to: target) else { return try body() }
        defer { edge.leave() }
        if let reached, !reached.onDone({ edge.leave() }) { edge.leave() }
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
