import CLua
import Desync

/// `desync.scheduler.simulate(seed [, {pct = depth, steps = n}])` and
/// `desync.scheduler.is_simulated()`: the REPL's way into a simulated schedule (the command line's
/// is `--simulate SEED`). From the call on, for the rest of the session, the runtime's scheduler
/// runs every job on the waiting thread, in an order its seed picks, on a virtual clock.
enum SimulationFunctions {
    static let all: [(String, desync_swift_function)] = [
        ("simulate", { L in LuaCall.run(L, "simulate", simulate) }),
        ("is_simulated", { L in LuaCall.run(L, "is_simulated", isSimulated) }),
    ]

    /// Why a pool size other than 0 is refused while simulating (the core's setter would stop
    /// the program).
    static let oneThread = "a simulated schedule runs on one thread"

    static func simulate(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        let lua = call.lua
        guard lua.type(at: 1) == LUA_TNUMBER, lua.isInteger(at: 1), let seed = lua.integer(at: 1) else {
            throw call.argumentError(1, "seed must be an integer, 0 or more (got \(describe(call, at: 1)))")
        }
        guard seed >= 0 else { throw call.argumentError(1, "seed must be an integer, 0 or more (got \(seed))") }
        let strategy = try self.strategy(call, options: 2)
        let context = try call.context
        guard context.isHost else {
            throw LuaError(message: "only the host script can start a simulation, not a job")
        }
        do {
            try context.runtime.scheduler.simulate(SimulatedSchedule(seed: UInt64(seed), strategy: strategy))
        } catch {
            throw LuaError(message: "\(error)")
        }
        // The caller's math.random is part of the schedule too (objects' states are seeded as
        // they are made).
        SimulatedRandomness.seed(L, runtime: context.runtime)
        return 0
    }

    static func isSimulated(_ call: LuaCall) throws -> Int32 {
        call.lua.push(try call.context.runtime.scheduler.isSimulated)
        return 1
    }

    /// Throws when `count` threads cannot be set: a simulating scheduler keeps 0.
    static func checkThreadCount(_ count: Int, _ call: LuaCall) throws {
        if count != 0, try call.context.runtime.scheduler.isSimulated {
            throw call.argumentError(1, oneThread)
        }
    }

    /// `simulated = {seed = ..., steps = ...}` in `desync.scheduler.stats()`, when simulating: the
    /// steps are the picks made so far.
    static func addStats(of scheduler: Scheduler, to L: OpaquePointer) {
        guard let simulation = scheduler.simulation else { return }
        let lua = LuaStack(L)
        lua.push("simulated")
        lua.newTable(array: 0, fields: 4)
        let seed = simulation.schedule.seed
        if let integer = lua_Integer(exactly: seed) {
            field(L, "seed", integer)
        } else {
            // Above a Lua integer (only the command line can give one): its digits, not a
            // negative number.
            lua.push("seed")
            lua.push(String(seed))
            lua.rawSet(-3)
        }
        field(L, "steps", lua_Integer(simulation.steps))
        if case .pct(let depth, let steps) = simulation.schedule.strategy {
            field(L, "pct", lua_Integer(depth))
            field(L, "pct_steps", lua_Integer(steps))
        }
        lua.rawSet(-3)
    }

    private static func field(_ L: OpaquePointer, _ name: String, _ value: lua_Integer) {
        let lua = LuaStack(L)
        lua.push(name)
        lua.push(integer: value)
        lua.rawSet(-3)
    }

    /// The keys the options table may have.
    private static let optionKeys: Set<String> = ["pct", "steps"]

    /// `{pct = depth, steps = n}` at `index` (nil or absent: uniform). Read raw: no metamethod
    /// runs, so nothing here can raise.
    private static func strategy(_ call: LuaCall, options index: Int32) throws -> SimulatedSchedule.Strategy {
        let lua = call.lua
        guard call.count >= index, lua.type(at: index) != LUA_TNIL else { return .uniform }
        guard lua.type(at: index) == LUA_TTABLE else { throw call.typeError(index, expected: "table") }
        guard lua.reserve(2) else { throw LuaError(message: "no Lua stack space") }
        lua.pushNil()
        while lua.next(index) {
            lua.pop(1)
            if lua.type(at: -1) == LUA_TSTRING, let key = call.string(-1), optionKeys.contains(key) { continue }
            let key = lua.type(at: -1) == LUA_TSTRING ? "'\(call.string(-1) ?? "")'" : "key of type \(call.typeName(at: lua.top))"
            lua.pop(1)
            throw call.argumentError(index, "unknown option \(key)")
        }
        let depth = try positiveField(call, options: index, "pct")
        let steps = try positiveField(call, options: index, "steps")
        guard let depth else {
            if steps != nil { throw call.argumentError(index, "option 'steps' needs option 'pct'") }
            return .uniform
        }
        return .pct(depth: depth, steps: steps ?? SimulatedSchedule.defaultPCTSteps)
    }

    private static func positiveField(_ call: LuaCall, options index: Int32, _ name: String) throws -> Int? {
        let lua = call.lua
        lua.push(name)
        lua.rawGet(index)
        defer { lua.pop(1) }
        guard lua.type(at: -1) != LUA_TNIL else { return nil }
        guard lua.type(at: -1) == LUA_TNUMBER, lua.isInteger(at: -1), let value = lua.integer(at: -1), value >= 1 else {
            throw call.argumentError(index, "option '\(name)' must be an integer, 1 or more (got \(describe(call, at: lua.top)))")
        }
        return Int(value)
    }

    /// A short account of a bad value: its type, or the number itself.
    private static func describe(_ call: LuaCall, at index: Int32) -> String {
        let lua = call.lua
        guard lua.type(at: index) == LUA_TNUMBER else { return call.typeName(at: index) }
        if lua.isInteger(at: index), let integer = lua.integer(at: index) { return "\(integer)" }
        return "\(lua.number(at: index) ?? 0)"
    }
}
