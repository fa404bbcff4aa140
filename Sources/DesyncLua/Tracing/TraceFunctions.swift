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
        lua_createtable(L, 0, Int32(all.count))
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
        guard lua_checkstack(L, 6) != 0 else { throw LuaError(message: "no Lua stack space") }
        lua_createtable(L, Int32(min(events.count, Int(Int32.max))), 0)
        for (index, event) in events.enumerated() {
            lua_createtable(L, 0, 9)
            func set(_ name: String, _ push: () -> Void) {
                lua_pushstring(L, name)
                push()
                lua_rawset(L, -3)
            }
            set("object") { lua_pushstring(L, event.object) }
            set("kind") { lua_pushstring(L, event.kind.name) }
            set("queued") { lua_pushnumber(L, Double(event.queued) / 1e9) }
            set("started") { lua_pushnumber(L, Double(event.started) / 1e9) }
            set("finished") { lua_pushnumber(L, Double(event.finished) / 1e9) }
            set("thread") { lua_pushinteger(L, lua_Integer(event.thread)) }
            set("pool") { lua_pushboolean(L, event.onPoolThread ? 1 : 0) }
            // A slice of a job that suspended: `queued` is when its wait began.
            set("resumes") { lua_pushboolean(L, event.resumes ? 1 : 0) }
            // Running when the trace stopped: `finished` is when it stopped.
            set("running") { lua_pushboolean(L, event.stillRunning ? 1 : 0) }
            // A simulated run's pick: the ready queues (names, in the order they became ready)
            // this job's object was picked among.
            if !event.readyQueues.isEmpty {
                set("ready") {
                    lua_createtable(L, Int32(min(event.readyQueues.count, 1 << 20)), 0)
                    for (position, name) in event.readyQueues.enumerated() {
                        lua_pushstring(L, name)
                        lua_rawseti(L, -2, lua_Integer(position + 1))
                    }
                }
            }
            lua_rawseti(L, -2, lua_Integer(index + 1))
        }
        return 1
    }

    /// `true`, or `nil, message` when the file cannot be written (an expected failure).
    static func save(_ call: LuaCall) throws -> Int32 {
        guard let path = call.string(1) else { throw call.typeError(1, expected: "string") }
        if let problem = try call.context.runtime.trace.save(to: path) {
            lua_pushnil(call.L)
            lua_pushstring(call.L, problem)
            return 2
        }
        lua_pushboolean(call.L, 1)
        return 1
    }

    static func timeline(_ call: LuaCall) throws -> Int32 {
        var width = 60
        if lua_type(call.L, 1) > LUA_TNIL {
            width = try call.integer(1)
            guard (10...1000).contains(width) else { throw call.argumentError(1, "width must be between 10 and 1000") }
        }
        let events = try call.context.runtime.trace.recorded
        lua_pushstring(call.L, TraceTimeline.render(events, width: width))
        return 1
    }
}
