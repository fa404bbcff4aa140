import CLua
import Desync

/// `s:send`, `s:receive`, ... : the methods of `desync.stream`.
enum StreamMethods {
    static let all: [(String, desync_swift_function)] = [
        ("send", { L in LuaCall.run(L, "send", method: true, send) }),
        ("receive", { L in LuaCall.run(L, "receive", method: true, receive) }),
        ("close", { L in LuaCall.run(L, "close", method: true, close) }),
        ("closed", { L in LuaCall.run(L, "closed", method: true, closed) }),
        ("iter", { L in LuaCall.run(L, "iter", method: true, iter) }),
    ]

    static let tostring: desync_swift_function = { L in
        LuaCall.run(L, "tostring") { call in
            call.lua.push(cString: try call.shared(1, as: LuaStream.self).description)
            return 1
        }
    }

    /// `s:send(v)`: exactly one value, not nil; waits while the stream is full.
    static func send(_ call: LuaCall) throws -> Int32 {
        let stream = try call.shared(1, as: LuaStream.self)
        guard call.count >= 2 else { throw call.argumentError(2, "value expected, got no value") }
        guard call.lua.type(at: 2) != LUA_TNIL else { throw call.argumentError(2, "nil cannot be sent") }
        guard call.count == 2 else {
            throw call.argumentError(3, "no value expected: a stream item is one value (send a table)")
        }
        if stream.generator != nil {
            throw LuaError(message: "cannot send on a desync.stream made by desync.stream.from(fn) (its function fills it)")
        }
        let item = try call.capture(from: 2, count: 1)
        if let job = call.suspendableJob {
            return try send(item, to: stream, suspending: job, call)
        }
        try StreamWait(runtime: try call.context.runtime, isHost: try call.context.isHost).send(item, to: stream)
        return 0
    }

    /// `send` from a job: while the stream is full the job suspends, holding no thread.
    private static func send(_ item: LuaCargo, to stream: LuaStream, suspending job: RunningLuaJob, _ call: LuaCall) throws -> Int32 {
        let sent: Bool
        do {
            sent = try stream.channel.trySend(item)
        } catch {
            throw LuaError(message: "cannot send on a closed desync.stream")
        }
        if sent { return 0 }
        return try call.suspend(job, until: ChannelWritable(stream.channel)) { call in
            guard let job = call.suspendableJob else { throw LuaError(message: "desync: a suspended send lost its job") }
            return try send(item, to: stream, suspending: job, call)
        }
    }

    /// `s:receive([seconds])`: the next value; nil once closed and drained; nil, "timeout".
    static func receive(_ call: LuaCall) throws -> Int32 {
        let stream = try call.shared(1, as: LuaStream.self)
        let timeout = try call.optionalTimeout(2)
        return try receive(from: stream, timeout: timeout, call)
    }

    private static func receive(from stream: LuaStream, timeout: Double?, _ call: LuaCall) throws -> Int32 {
        let context = try call.context
        if let generator = stream.generator {
            // Only the owner's state can call the generator; a receiver elsewhere asks it to.
            if generator.ownerID == context.id {
                if stream.count == 0 { try context.generators.pullOne(into: stream, in: call.L) }
            } else {
                generator.readFromElsewhere()
            }
        }
        if let job = call.suspendableJob {
            return try receive(from: stream, until: LuaWait.deadline(after: timeout, on: context.runtime), suspending: job, call)
        }
        let wait = StreamWait(runtime: context.runtime, isHost: context.isHost)
        return try returnReceived(try wait.receive(from: stream, timeout: timeout), call)
    }

    /// `receive` from a job: while the stream is empty the job suspends, holding no thread.
    private static func receive(
        from stream: LuaStream, until deadline: ContinuousClock.Instant?, suspending job: RunningLuaJob, _ call: LuaCall
    ) throws -> Int32 {
        let now = stream.take()
        if case .timeout = now {} else { return try returnReceived(now, call) }
        if let deadline, try call.context.runtime.scheduler.now >= deadline { return try returnReceived(now, call) }
        var gate: any Waitable = ChannelReadable(stream.channel)
        if let deadline {
            gate = FirstOf([gate, DesyncTimer(deadline: deadline, queue: try call.context.runtime.scheduler.timers)])
        }
        return try call.suspend(job, until: gate) { call in
            guard let job = call.suspendableJob else { throw LuaError(message: "desync: a suspended receive lost its job") }
            return try receive(from: stream, until: deadline, suspending: job, call)
        }
    }

    private static func returnReceived(_ received: DesyncChannel<LuaCargo>.ReceiveResult, _ call: LuaCall) throws -> Int32 {
        switch received {
        case .item(let item):
            return try call.returnValues(item)
        case .closed:
            call.lua.setTop(0)
            call.lua.pushNil()
            return 1
        case .timeout:
            call.lua.setTop(0)
            call.lua.pushNil()
            call.lua.push("timeout")
            return 2
        }
    }

    static func close(_ call: LuaCall) throws -> Int32 {
        try call.shared(1, as: LuaStream.self).close()
        return 0
    }

    static func closed(_ call: LuaCall) throws -> Int32 {
        call.lua.push(try call.shared(1, as: LuaStream.self).isClosed)
        return 1
    }

    /// `for v in s:iter() do ... end`: receives until the stream is closed and drained.
    static func iter(_ call: LuaCall) throws -> Int32 {
        _ = try call.shared(1, as: LuaStream.self)
        call.lua.setTop(1)
        LuaFunctions.push(next, onto: call.L)
        call.lua.insert(at: 1)
        return 2
    }

    /// The iterator `iter` returns: called as `next(s, previous)`, it ignores `previous` (which a
    /// receive would take for a timeout) and waits for the next value.
    private static let next: desync_swift_function = { L in
        LuaCall.run(L, "iter") { call in
            let stream = try call.shared(1, as: LuaStream.self)
            return try receive(from: stream, timeout: nil, call)
        }
    }
}
