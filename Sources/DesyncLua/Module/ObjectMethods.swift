import CLua
import Desync

/// `obj:sync`, `obj:async`, ... : the methods of `desync.object`.
enum ObjectMethods {
    static let all: [(String, desync_swift_function)] = [
        ("sync", { L in LuaCall.run(L, "sync", method: true, sync) }),
        ("async", { L in LuaCall.run(L, "async", method: true, async) }),
        ("future", { L in LuaCall.run(L, "future", method: true, future) }),
        ("after", { L in LuaCall.run(L, "after", method: true, after) }),
        ("try_sync", { L in LuaCall.run(L, "try_sync", method: true, trySync) }),
        ("pending", { L in LuaCall.run(L, "pending", method: true, pending) }),
        ("name", { L in LuaCall.run(L, "name", method: true, name) }),
        ("memory", { L in LuaCall.run(L, "memory", method: true, memory) }),
    ] + PipeMethods.all

    static let tostring: desync_swift_function = { L in
        LuaCall.run(L, "tostring") { call in
            let object = try call.shared(1, as: LuaObject.self)
            call.lua.push(cString: "desync.object: \(object.name)")
            return 1
        }
    }

    /// `obj, fn, args...` checked and captured: the object and the cargo `fn, args...`. The
    /// object is held by a strong reference, not borrowed from its proxy: capturing allocates in
    /// this state, which can run finalizers, Lua code that may release the proxy's object.
    private static func job(_ call: LuaCall) throws -> (LuaObject, LuaCargo) {
        let object = try call.shared(1, as: LuaObject.self)
        try call.checkFunction(2)
        let cargo = try call.capture(from: 2, count: call.count - 1)
        return (object, cargo)
    }

    static func sync(_ call: LuaCall) throws -> Int32 {
        let object = try call.shared(1, as: LuaObject.self)
        if object.isRunningHere {
            throw LuaError(message: "sync on desync.object: \(object.name) from inside one of its own jobs would wait for itself forever (deadlock)")
        }
        let (_, cargo) = try job(call)
        let context = try call.context
        // An idle object runs the job right here (the core's fast path), in every caller: from a
        // job, that is a wait of this job on the object's, in the wait-for graph while it runs.
        if let start = try LuaCall.blockingWait(from: call.L, on: object, { object.trySync(cargo) }) {
            return try returnStart(start, of: object, call)
        }
        if context.isHost {
            // Behind other jobs, the host waits interruptibly (Ctrl-C).
            return try call.returnFutureOutcome(try object.interruptibleSync(cargo))
        }
        if call.suspendableJob != nil {
            // Behind other jobs, a job suspends until its `sync` job is done.
            return try returnFuture(object.queuedSync(cargo), of: object, call)
        }
        let start = try LuaCall.blockingWait(from: call.L, on: object) { object.sync(cargo) }
        return try returnStart(start, of: object, call)
    }

    /// The outcome of a `sync` job that ran here: its values, or, if it suspended, its future's.
    private static func returnStart(_ start: LuaJobStart, of object: LuaObject, _ call: LuaCall) throws -> Int32 {
        switch start {
        case .finished(let outcome): return try call.returnOutcome(outcome)
        case .suspended(let future): return try returnFuture(future!, of: object, call)
        }
    }

    private static func returnFuture(_ future: DesyncFuture<LuaCargo>, of object: LuaObject, _ call: LuaCall) throws -> Int32 {
        try call.await(future, of: object, timeout: nil, describe: "cannot sync with desync.object: \(object.name)") { call, outcome in
            try call.returnFutureOutcome(outcome!)
        }
    }

    static func async(_ call: LuaCall) throws -> Int32 {
        let object = try call.shared(1, as: LuaObject.self)
        try call.checkFunction(2)
        // The everyday shapes go without a cargo or a closure, whose context would be allocated
        // here and freed on the worker's thread (LuaCompactJob).
        if object.asyncWithoutClosure(functionAt: 2, argumentCount: call.count - 2, in: call.L) { return 0 }
        object.async(try call.capture(from: 2, count: call.count - 1))
        return 0
    }

    static func future(_ call: LuaCall) throws -> Int32 {
        let (object, cargo) = try job(call)
        let future = object.future(cargo, kind: .future)
        call.lua.setTop(0)
        LuaProxy.push(future, onto: call.L)
        return 1
    }

    static func after(_ call: LuaCall) throws -> Int32 {
        let object = try call.shared(1, as: LuaObject.self)
        let first = try call.shared(2, as: LuaFuture.self)
        try call.checkFunction(3)
        let cargo = try call.capture(from: 3, count: call.count - 2)
        // The new future carries `first`'s failure on: if nobody observes that one, it reports.
        first.markObserved()
        let future = object.after(first, cargo)
        call.lua.setTop(0)
        LuaProxy.push(future, onto: call.L)
        return 1
    }

    static func trySync(_ call: LuaCall) throws -> Int32 {
        let (object, cargo) = try job(call)
        guard let start = object.trySync(cargo) else {
            call.lua.setTop(0)
            call.lua.push(false)
            call.lua.push("busy")
            return 2
        }
        switch start {
        case .finished(let outcome):
            return try returnTried(outcome.mapError { $0 }, call)
        case .suspended(let future):
            // The object was idle and the job started here, then waited: `try_sync` never waits
            // behind other jobs, but its own job has begun and may have changed the data, so it
            // waits for that job's end (suspending, from a job) rather than say "busy" for a job
            // that goes on.
            return try call.await(future!, of: object, timeout: nil, describe: "cannot try_sync with desync.object: \(object.name)") { call, outcome in
                try returnTried(outcome!, call)
            }
        }
    }

    /// `true, results...` of a job that `try_sync` ran, or its error raised.
    private static func returnTried(_ outcome: Result<LuaCargo, any Error>, _ call: LuaCall) throws -> Int32 {
        let count = try call.returnFutureOutcome(outcome)
        guard count >= 0 else { return count }
        call.lua.push(true)
        call.lua.insert(at: 1)
        return count + 1
    }

    static func pending(_ call: LuaCall) throws -> Int32 {
        let object = try call.shared(1, as: LuaObject.self)
        call.lua.push(integer: lua_Integer(object.pending))
        return 1
    }

    /// Bytes the object's Lua state holds now (0 before its first job), read without waiting for
    /// its queue.
    static func memory(_ call: LuaCall) throws -> Int32 {
        let object = try call.shared(1, as: LuaObject.self)
        call.lua.push(integer: lua_Integer(object.presence.memory.used))
        return 1
    }

    static func name(_ call: LuaCall) throws -> Int32 {
        let object = try call.shared(1, as: LuaObject.self)
        call.lua.push(cString: object.name)
        return 1
    }
}
