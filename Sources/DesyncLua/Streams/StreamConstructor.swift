import CLua
import Desync

/// `desync.stream`: callable to make a stream, with a `from` field.
///
/// It is a table whose metatable's `__call` is a Swift function, so that `desync.stream(8)` and
/// `desync.stream.from{...}` both read naturally. `__call` gets the table as its first argument,
/// so it reports arguments the way methods do (the table is "self" and the first real argument
/// is #1).
enum StreamConstructor {
    /// Pushes the `desync.stream` table.
    static func pushTable(onto L: OpaquePointer) {
        let lua = LuaStack(L)
        if !lua.reserve(6) { desyncFatal("desync: no Lua stack for desync.stream") }
        lua.newTable(array: 0, fields: 1)
        lua.push("from")
        LuaFunctions.push(fromFunction, onto: L)
        lua.rawSet(-3)
        lua.newTable(array: 0, fields: 1)
        lua.push("__call")
        LuaFunctions.push(callFunction, onto: L)
        lua.rawSet(-3)
        lua.setMetatable(-2)
    }

    private static let callFunction: desync_swift_function = { L in
        LuaCall.run(L, "stream", method: true, make)
    }

    private static let fromFunction: desync_swift_function = { L in
        LuaCall.run(L, "from", from)
    }

    /// `desync.stream([capacity])`: unbounded without a capacity.
    static func make(_ call: LuaCall) throws -> Int32 {
        var capacity: Int?
        if call.lua.type(at: 2) > LUA_TNIL {
            let value = try call.integer(2)
            guard value >= 1 else { throw call.argumentError(2, "capacity must be 1 or more") }
            capacity = value
        }
        call.lua.setTop(0)
        LuaProxy.push(LuaStream(capacity: capacity), onto: call.L)
        return 1
    }

    /// How many values `from(fn)` holds at most when no capacity is given: how far ahead of
    /// receivers in other states the generator may run.
    static let defaultGeneratorCapacity = 64

    /// `desync.stream.from(list)`: the items `list[1]`, `list[2]`, ... up to the first nil, in an
    /// unbounded stream, already closed: receivers get the items, then nil.
    ///
    /// `desync.stream.from(fn [, capacity])`: the values of `fn()` until it returns nil, pulled
    /// lazily by the calling state (see `StreamGenerator`): the first at once, so that an error
    /// of `fn` shows where the stream is made, the others as receivers ask for them, at most
    /// `capacity` (default 64) ahead of them. The stream is closed once `fn` returns nil.
    static func from(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        let lua = LuaStack(L)
        switch lua.type(at: 1) {
        case LUA_TTABLE:
            let stream = LuaStream(capacity: nil)
            var index: lua_Integer = 1
            while lua.rawGet(1, index: index) != LUA_TNIL {
                try put(call, into: stream, naming: "item", number: Int(index))
                index += 1
            }
            stream.close()
            lua.setTop(0)
            LuaProxy.push(stream, onto: L)
            return 1
        case LUA_TFUNCTION:
            var capacity = defaultGeneratorCapacity
            if lua.type(at: 2) > LUA_TNIL {
                capacity = try call.integer(2)
                guard capacity >= 1 else { throw call.argumentError(2, "capacity must be 1 or more") }
            }
            let context = try call.context
            let stream = LuaStream(capacity: capacity, generator: StreamGenerator(owner: context))
            lua.setTop(1)
            context.generators.add(stream, functionOnTopOf: L)
            try context.generators.pullOne(into: stream, in: L)
            LuaProxy.push(stream, onto: L)
            return 1
        default:
            throw call.typeError(1, expected: "table or function")
        }
    }

    /// Captures the value on top of the stack, pops it and sends it (an unbounded stream never
    /// waits).
    private static func put(_ call: LuaCall, into stream: LuaStream, naming: String, number: Int) throws {
        let item = try call.capture(from: call.lua.top, count: 1, naming: naming, firstNumber: number)
        call.lua.pop(1)
        _ = try? stream.channel.trySend(item)
    }
}
