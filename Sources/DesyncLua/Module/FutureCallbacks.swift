import CLua
import Desync

/// `f:on_done(fn)`, `desync.poll()` and `desync.poll_fd()`: observing a future without blocking,
/// for states driven by an event loop (luv, cqueues, copas) rather than by waits.
///
/// ```lua
/// f:on_done(function(ok, ...) print("finished", ok, ...) end)
/// local poll = uv.new_poll(desync.poll_fd())
/// poll:start("r", function() desync.poll() end)
/// ```
enum FutureCallbacks {
    static let methods: [(String, desync_swift_function)] = [
        ("on_done", { L in LuaCall.run(L, "on_done", method: true, onDone) }),
    ]

    static let functions: [(String, desync_swift_function)] = [
        ("poll", { L in LuaCall.run(L, "poll", poll) }),
        ("poll_fd", { L in LuaCall.run(L, "poll_fd", pollFD) }),
    ]

    /// The registry table holding the functions given to `on_done` until their call.
    private static let registryKey = "desync.on_done"

    /// `f:on_done(fn)`: `fn(true, results...)` or `fn(false, err)` runs in this state at the
    /// first `desync.poll()` after the future finishes. Returns the future.
    static func onDone(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        let lua = LuaStack(L)
        let future = try call.shared(1, as: LuaFuture.self)
        try call.checkFunction(2)
        let queue = try call.context.futureCallbacks
        lua.setTop(2)
        pushReferences(L)
        lua.pushValue(at: 2)
        let reference = lua.reference(in: -2)
        lua.setTop(1)
        let ready = FutureCallbackQueue.Ready(reference: reference, future: future)
        let number = queue.register(ready)
        if !future.future.onDone({ queue.finished(number) }) { queue.finished(number) }
        return 1
    }

    /// `desync.poll()`: runs the callbacks of futures that have finished, oldest first, and
    /// returns how many ran (0 at once when none wait). A callback's error is raised here, with
    /// its traceback; the callbacks after it wait for the next poll.
    static func poll(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        let lua = LuaStack(L)
        let queue = try call.context.futureCallbacks
        let ready = queue.takeAll()
        lua.setTop(0)
        lua.pushTracebackHandler()
        pushReferences(L)
        var ran: lua_Integer = 0
        for (index, item) in ready.enumerated() {
            lua.setTop(2)
            lua.rawGet(2, index: lua_Integer(item.reference))
            lua.release(item.reference, in: 2)
            item.future.markObserved()
            let count = try pushOutcome(of: item.future, in: call)
            if lua.protectedCall(arguments: count, results: 0, handler: 1) != LUA_OK {
                queue.putBack(ready[(index + 1)...])
                throw LuaRaisedValue(value: try call.capture(from: lua.top, count: 1, naming: "error"))
            }
            ran += 1
        }
        lua.setTop(0)
        lua.push(integer: ran)
        return 1
    }

    /// `desync.poll_fd()`: a file descriptor (an eventfd) that is readable while callbacks wait
    /// for `desync.poll()`. It belongs to desync: read it only through `poll`, never close it.
    static func pollFD(_ call: LuaCall) throws -> Int32 {
        let fd = try call.context.futureCallbacks.eventFD().get()
        call.lua.push(integer: lua_Integer(fd))
        return 1
    }

    /// Pushes `true, results...` or `false, err`; returns how many.
    private static func pushOutcome(of future: LuaFuture, in call: LuaCall) throws -> Int32 {
        let L = call.L
        let lua = LuaStack(L)
        switch future.future.outcome {
        case .success(let results)?:
            guard lua.reserve(Int32(results.count) + 4) else {
                throw LuaError(message: "too many results to pass to an on_done callback")
            }
            lua.push(true)
            return results.push(onto: L) + 1
        case .failure(let error)?:
            lua.push(false)
            call.pushError(error)
            return 2
        case nil:
            // Not reached: a callback is queued once the future has finished.
            lua.push(false)
            lua.push("not finished")
            return 2
        }
    }

    /// Pushes the registry table of `on_done` functions, made on first use.
    private static func pushReferences(_ L: OpaquePointer) {
        let lua = LuaStack(L)
        lua.push(cString: registryKey)
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX)
        guard lua.type(at: -1) != LUA_TTABLE else { return }
        lua.pop(1)
        lua.newTable(array: 0, fields: 0)
        lua.push(cString: registryKey)
        lua.pushValue(at: -2)
        lua.rawSet(DESYNC_LUA_REGISTRYINDEX)
    }
}
