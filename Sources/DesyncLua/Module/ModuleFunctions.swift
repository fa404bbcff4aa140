import CLua
import Desync

#if canImport(Glibc)
import Glibc
#endif

/// `desync.new`, `desync.self`, `desync.sleep`, `desync.on_error`.
enum ModuleFunctions {
    static let all: [(String, desync_swift_function)] = [
        ("new", { L in LuaCall.run(L, "new", new) }),
        ("self", { L in LuaCall.run(L, "self", currentObject) }),
        ("sleep", { L in LuaCall.run(L, "sleep", sleep) }),
        ("on_error", { L in LuaCall.run(L, "on_error", onError) }),
        ("clock", { L in LuaCall.run(L, "clock", clock) }),
    ] + FutureCallbacks.functions

    /// Seconds on a monotonic clock, as a float: wall time for measuring jobs, which `os.clock`
    /// (CPU time of the whole process) is not. Virtual seconds since the simulation started
    /// when the scheduler simulates.
    static func clock(_ call: LuaCall) throws -> Int32 {
        call.lua.push(number: try call.context.runtime.scheduler.clock.seconds)
        return 1
    }

    static func new(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        let lua = LuaStack(L)
        guard call.count >= 1, lua.type(at: 1) != LUA_TNIL else {
            throw call.argumentError(1, "value expected, got \(call.typeName(at: 1))")
        }
        var name: String?
        var memoryLimit: MemoryLimitOption = .unset
        if call.count >= 2, lua.type(at: 2) != LUA_TNIL {
            guard lua.type(at: 2) == LUA_TTABLE else { throw call.typeError(2, expected: "table") }
            try checkOptionKeys(call, at: 2)
            lua.push("name")
            lua.rawGet(2)
            defer { lua.pop(1) }
            switch lua.type(at: -1) {
            case LUA_TNIL: break
            case LUA_TSTRING: name = call.string(-1)
            default: throw call.argumentError(2, "field 'name' must be a string")
            }
            memoryLimit = try MemoryLimitOption.read(call, options: 2)
        }
        let value = try call.capture(from: 1, count: 1, naming: "value")
        let context = try call.context
        // The object's state, made at its first job, searches modules where its maker did when
        // it was made: a later change to package.path in the maker does not reach it.
        let object = LuaObject(
            value: value, name: name, memoryLimit: memoryLimit.bytes(default: context.runtime), runtime: context.runtime,
            packagePaths: StatePreparation.packagePaths(of: L))
        context.runtime.register(object)
        lua.setTop(0)
        LuaProxy.push(object, onto: L)
        return 1
    }

    /// The keys `desync.new`'s options table may have: a misspelt option (`nme = "x"`) is an
    /// error rather than silently ignored. A new option is added to this list and read in `new`.
    static let newOptionKeys: Set<String> = [
        "name", "memory_limit",
    ]

    /// Raises "unknown option 'nme'" for a key of the table at `index` not in `newOptionKeys`.
    /// The walk is raw (`lua_next`, no metamethods) and reads keys without converting them.
    private static func checkOptionKeys(_ call: LuaCall, at index: Int32) throws {
        let L = call.L
        let lua = LuaStack(L)
        guard lua.reserve(2) else { throw LuaError(message: "no Lua stack space") }
        lua.pushNil()
        while lua.next(index) {
            lua.pop(1)
            let key: String
            if lua.type(at: -1) == LUA_TSTRING, let text = call.string(-1) {
                if newOptionKeys.contains(text) { continue }
                key = "'\(text)'"
            } else {
                key = "key of type \(call.typeName(at: lua.top))"
            }
            lua.pop(1)
            throw call.argumentError(index, "unknown option \(key)")
        }
    }

    static func currentObject(_ call: LuaCall) throws -> Int32 {
        if let object = try call.context.object {
            LuaProxy.push(object, onto: call.L)
        } else {
            call.lua.pushNil()
        }
        return 1
    }

    static func sleep(_ call: LuaCall) throws -> Int32 {
        let seconds = try call.number(1)
        guard seconds >= 0, seconds.isFinite else {
            throw call.argumentError(1, "seconds must be a finite number, 0 or more")
        }
        let context = try call.context
        if let job = call.suspendableJob {
            // A job lets go of its thread while it sleeps; its object's queue waits for it.
            let timer = DesyncTimer(deadline: context.runtime.scheduler.now + LuaWait.duration(seconds), queue: context.runtime.scheduler.timers)
            return try call.suspend(job, until: timer) { _ in 0 }
        }
        do {
            try LuaWait(runtime: context.runtime, isHost: context.isHost).sleep(until: context.runtime.scheduler.now + LuaWait.duration(seconds))
        } catch where !context.isHost {
            // A job the host runs while it waits: cut the sleep short and leave the interrupt
            // for the host's wait, which raises it in the host's code.
        }
        return 0
    }

    static func onError(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        let type = LuaStack(L).type(at: 1)
        guard type == LUA_TFUNCTION || type == LUA_TNIL else {
            throw call.typeError(1, expected: "function or nil")
        }
        let context = try call.context
        LuaStack(L).setTop(1)
        context.runtime.errors.install(from: L, context: context)
        return 0
    }
}

/// `desync.scheduler.*`.
enum SchedulerFunctions {
    static let all: [(String, desync_swift_function)] = [
        ("max_threads", { L in LuaCall.run(L, "max_threads", maxThreads) }),
        ("set_max_threads", { L in LuaCall.run(L, "set_max_threads", setMaxThreads) }),
        ("stats", { L in LuaCall.run(L, "stats", stats) }),
        ("memory_limit", { L in LuaCall.run(L, "memory_limit", memoryLimit) }),
        ("set_memory_limit", { L in LuaCall.run(L, "set_memory_limit", setMemoryLimit) }),
    ] + SimulationFunctions.all

    static func maxThreads(_ call: LuaCall) throws -> Int32 {
        call.lua.push(integer: lua_Integer(try call.context.runtime.scheduler.maxThreads))
        return 1
    }

    static func setMaxThreads(_ call: LuaCall) throws -> Int32 {
        let count = try call.integer(1)
        guard ThreadCount.checked(count) != nil else { throw call.argumentError(1, ThreadCount.rule) }
        try SimulationFunctions.checkThreadCount(count, call)
        try call.context.runtime.scheduler.maxThreads = count
        return 0
    }

    static func stats(_ call: LuaCall) throws -> Int32 {
        let runtime = try call.context.runtime
        let stats = runtime.scheduler.stats
        let objects = runtime.liveObjects
        let L = call.L
        let lua = LuaStack(L)
        lua.newTable(array: 0, fields: 14)
        func set(_ name: String, _ value: Int) {
            lua.push(cString: name)
            lua.push(integer: lua_Integer(value))
            lua.rawSet(-3)
        }
        set("max_threads", stats.maxThreads)
        set("threads_alive", stats.threadsAlive)
        set("threads_busy", stats.threadsBusy)
        set("threads_idle", stats.threadsIdle)
        set("ready_queues", stats.readyQueues)
        set("suspended_jobs", stats.suspendedJobs)
        set("timers_pending", stats.timersPending)
        set("jobs_run", stats.jobsRun)
        set("jobs_by_callers", stats.jobsRunByCallers)
        // A thread between jobs (woken, not yet holding a queue) is neither busy nor idle: named,
        // so that the counts add up to threads_alive in every snapshot.
        set("threads_between", max(stats.threadsAlive - stats.threadsBusy - stats.threadsIdle, 0))
        lua.push("jobs_by_kind")
        lua.newTable(array: 0, fields: Int32(JobKind.allCases.count))
        for kind in JobKind.allCases {
            set("\(kind)", stats.jobsRunByKind[kind] ?? 0)
        }
        lua.rawSet(-3)
        set("objects", objects.count)
        let queues = objects.map { ($0.name, $0.pending) }.filter { $0.1 > 0 }
        set("objects_with_work", queues.count)
        set("jobs_pending", queues.reduce(0) { $0 + $1.1 })
        if let longest = queues.max(by: { $0.1 < $1.1 }) {
            set("longest_queue", longest.1)
            lua.push("longest_queue_object")
            lua.push(cString: longest.0)
            lua.rawSet(-3)
        } else {
            set("longest_queue", 0)
        }
        SimulationFunctions.addStats(of: runtime.scheduler, to: L)
        return 1
    }
}
