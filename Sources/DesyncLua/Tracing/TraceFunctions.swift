import CLua
import Desync

/// `desync.trace.start/stop/save/timeline`.
enum TraceFunctions {
    static let all: [(String, desync_swift_function)] = [
        ("start", { L in LuaCall.run(L, "start", start) }),
        ("stop", { L in LuaCall.run(L, "stop", stop) }),
        ("save", { L in LuaCall.run(L, "save", save) }),
        ("timeline", { L in LuaCall.run(L, "timeline", timeline) }),
    ]

    /// Pushes the `desync.trace` table.
    static func pushTable(onto L: OpaquePointer) {
        LuaStack(L).newTable(array: 0, fields: Int32(all.count))
        LuaFunctions.register(all, into: L)
    }

    static func start(_ call: LuaCall) throws -> Int32 {
        try call.context.runtime.trace.start()
        return 0
    }

    /// The events as a list of tables: `{ object, kind, queued, started, finished, thread, pool, resumes, running, ready }`
    /// with times in seconds since the trace started.
    static func stop(_ call: LuaCall) throws -> Int32 {
        let events = try call.context.runtime.trace.stop()
        let L = call.L
        let lua = LuaStack(L)
        guard lua.reserve(6) else { throw LuaError(message: "no Lua stack space") }
        lua.newTable(array: Int32(min(events.count, Int(Int32.max))), fields: 0)
        for (index, event) in events.enumerated() {
            lua.newTable(array: 0, fields: 9)
            func set(_ name: String, _ push: () -> Void) {
                lua.push(cString: name)
                push()
                lua.rawSet(-3)
            }
            set("object") { lua.push(cString: event.object) }
            set("kind") { lua.push(cString: event.kind.name) }
            set("queued") { lua.push(number: Double(event.queued) / 1e9) }
            set("started") { lua.push(number: Double(event.started) / 1e9) }
            set("finished") { lua.push(number: Double(event.finished) / 1e9) }
            set("thread") { lua.push(integer: lua_Integer(event.thread)) }
            set("pool") { lua.push(event.onPoolThread) }
            // A slice of a job that suspended: `queued` is when its wait began.
            set("resumes") { lua.push(event.resumes) }
            // Running when the trace stopped: `finished` is when it stopped.
            set("running") { lua.push(event.stillRunning) }
            // A simulated run's pick: the ready queues (names, in the order they became ready)
            // this job's object was picked among.
            if !event.readyQueues.isEmpty {
                set("ready") {
                    lua.newTable(array: Int32(min(event.readyQueues.count, 1 << 20)), fields: 0)
                    for (position, name) in event.readyQueues.enumerated() {
                        lua.push(cString: name)
                        lua.rawSet(-2, index: lua_Integer(position + 1))
                    }
                }
            }
            lua.rawSet(-2, index: lua_Integer(index + 1))
        }
        return 1
    }

    /// `true`, or `nil, message` when the file cannot be written (an expected failure).
    static func save(_ call: LuaCall) throws -> Int32 {
        guard let path = call.string(1) else { throw call.typeError(1, expected: "string") }
        if let problem = try call.context.runtime.trace.save(to: path) {
            call.lua.pushNil()
            call.lua.push(cString: problem)
            return 2
        }
        call.lua.push(true)
        return 1
    }

    static func timeline(_ call: LuaCall) throws -> Int32 {
        var width = 60
        if call.lua.type(at: 1) > LUA_TNIL {
            width = try call.integer(1)
            guard (10...1000).contains(width) else { throw call.argumentError(1, "width must be between 10 and 1000") }
        }
        let events = try call.context.runtime.trace.recorded
        call.lua.push(cString: TraceTimeline.render(events, width: width))
        return 1
    }
}
