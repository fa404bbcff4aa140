import CLua
import Desync
import Synchronization

/// `desync.timer`, `desync.all`, `desync.any`, `desync.spawn`: the pieces of async workflows,
/// futures that hold no thread while they wait.
enum WorkflowFunctions {
    static let all: [(String, desync_swift_function)] = [
        ("timer", { L in LuaCall.run(L, "timer", timer) }),
        ("all", { L in LuaCall.run(L, "all", allOf) }),
        ("any", { L in LuaCall.run(L, "any", anyOf) }),
        ("spawn", { L in LuaCall.run(L, "spawn", spawn) }),
    ]

    /// `desync.timer(seconds)`: a future that completes, with no results, `seconds` from now.
    static func timer(_ call: LuaCall) throws -> Int32 {
        let seconds = try call.number(1)
        guard seconds >= 0, seconds.isFinite else {
            throw call.argumentError(1, "seconds must be a finite number, 0 or more")
        }
        let context = try call.context
        let promise = DesyncPromise<LuaCargo>()
        let timer = DesyncTimer(deadline: context.runtime.scheduler.now + LuaWait.duration(seconds), queue: context.runtime.scheduler.timers)
        if !timer.onDone({ promise.succeed(LuaCargo()) }) { promise.succeed(LuaCargo()) }
        call.lua.setTop(0)
        LuaProxy.push(LuaFuture(promise.future, combining: nil), onto: call.L)
        return 1
    }

    /// `desync.all({f1, f2, ...})`: the list of each future's first result, in order, once all
    /// are done; fails with the first failure.
    static func allOf(_ call: LuaCall) throws -> Int32 {
        let parts = try futures(call)
        let promise = DesyncPromise<LuaCargo>()
        let remaining = Atomic<Int>(parts.count)
        if parts.isEmpty { promise.succeed(LuaCargo()) }
        for part in parts {
            let future = part.future
            let settle: @Sendable () -> Void = {
                if case .failure(let error)? = future.outcome {
                    promise.fail(error)
                } else if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                    promise.succeed(LuaCargo())
                }
            }
            if !future.onDone(settle) { settle() }
        }
        return push(LuaFuture(promise.future, combining: .all(parts)), call)
    }

    /// `desync.any({f1, f2, ...})`: `i, results...` of the first future to finish; fails if that
    /// one failed.
    static func anyOf(_ call: LuaCall) throws -> Int32 {
        let parts = try futures(call)
        guard !parts.isEmpty else { throw call.argumentError(1, "at least one desync.future expected, got an empty list") }
        let promise = DesyncPromise<LuaCargo>()
        for (index, part) in parts.enumerated() {
            let future = part.future
            let winner = LuaCargo(storage: .one(.integer(lua_Integer(index + 1))))
            let settle: @Sendable () -> Void = {
                switch future.outcome {
                case .failure(let error)?: promise.fail(error)
                default: promise.succeed(winner)
                }
            }
            if !future.onDone(settle) { settle() }
        }
        return push(LuaFuture(promise.future, combining: .any(parts)), call)
    }

    /// `desync.spawn(fn, ...)`: `fn(...)` as a job of a new unnamed object; its future.
    static func spawn(_ call: LuaCall) throws -> Int32 {
        try call.checkFunction(1)
        let cargo = try call.capture(from: 1, count: call.count)
        let context = try call.context
        let object = LuaObject(
            value: LuaCargo(storage: .one(.luaNil)), name: nil, memoryLimit: MemoryLimitOption.unset.bytes(default: context.runtime),
            passesData: false, runtime: context.runtime, packagePaths: StatePreparation.packagePaths(of: call.L))
        context.runtime.register(object)
        return push(object.future(cargo), call)
    }

    /// The futures of the list in argument 1, from 1 to its length; a hole or another value is an
    /// error naming its index.
    private static func futures(_ call: LuaCall) throws -> [LuaFuture] {
        let L = call.L
        let lua = LuaStack(L)
        guard lua.type(at: 1) == LUA_TTABLE else { throw call.typeError(1, expected: "table of desync.future") }
        let count = Int(lua.rawLength(1))
        guard lua.reserve(2) else { throw LuaError(message: "no Lua stack space") }
        var parts: [LuaFuture] = []
        parts.reserveCapacity(count)
        for index in 1...max(count, 1) where index <= count {
            lua.rawGet(1, index: lua_Integer(index))
            defer { lua.pop(1) }
            guard let future = LuaProxy.object(at: -1, in: L, as: LuaFuture.self) else {
                throw call.argumentError(1, "desync.future expected at index \(index), got \(call.typeName(at: lua.top))")
            }
            parts.append(future)
        }
        return parts
    }

    private static func push(_ future: LuaFuture, _ call: LuaCall) -> Int32 {
        call.lua.setTop(0)
        LuaProxy.push(future, onto: call.L)
        return 1
    }
}
