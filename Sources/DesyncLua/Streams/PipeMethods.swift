import CLua

/// `obj:pipe_in(stream, fn)` and `obj:pipe(stream, fn [, depth])`, listed in `ObjectMethods.all`.
enum PipeMethods {
    static let defaultDepth = 5

    static let all: [(String, desync_swift_function)] = [
        ("pipe_in", { L in LuaCall.run(L, "pipe_in", method: true, pipeIn) }),
        ("pipe", { L in LuaCall.run(L, "pipe", method: true, pipe) }),
    ]

    /// `obj, stream, fn` checked and captured.
    private static func arguments(_ call: LuaCall) throws -> (LuaObject, LuaStream, LuaCargo) {
        let object = try call.shared(1, as: LuaObject.self)
        let input = try call.shared(2, as: LuaStream.self)
        try call.checkFunction(3)
        let function = try call.capture(from: 3, count: 1, naming: "argument", firstNumber: 2)
        // A pipe reads on its object's thread, which cannot call a generator's function.
        input.generator?.readFromElsewhere()
        return (object, input, function)
    }

    /// A future done when the stream is closed and every item was processed; failed with the
    /// first item's error, if any failed (each error is also reported like an async job's).
    static func pipeIn(_ call: LuaCall) throws -> Int32 {
        let (object, input, function) = try arguments(call)
        let future = LuaPipe.pipeIn(object, from: input, function: function)
        call.lua.setTop(0)
        // Each item's error was reported already: a failed future nobody observes is not.
        LuaProxy.push(LuaFuture(future, object: object, failureReported: true), onto: call.L)
        return 1
    }

    /// A new stream of the first result of each `fn(data, item)` (nothing for nil or no result),
    /// holding at most `depth` results.
    static func pipe(_ call: LuaCall) throws -> Int32 {
        let (object, input, function) = try arguments(call)
        var depth = defaultDepth
        if call.lua.type(at: 4) > LUA_TNIL {
            depth = try call.integer(4)
            guard depth >= 1 else { throw call.argumentError(4, "depth must be 1 or more") }
        }
        let output = LuaPipe.pipe(object, from: input, function: function, depth: depth)
        call.lua.setTop(0)
        LuaProxy.push(output, onto: call.L)
        return 1
    }
}
