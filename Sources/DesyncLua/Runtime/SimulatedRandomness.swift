import CLua
import Desync

/// Under a simulated schedule, `math.random` is part of the schedule too: each state's generator
/// starts from the schedule's seed mixed with the state's number (states are numbered in the
/// order they are made, which the schedule fixes), so a script that draws random numbers prints
/// the same with the same seed. Lua seeds each new state from the time and an address otherwise.
enum SimulatedRandomness {
    /// Seeds `L`'s `math.random` if the runtime's scheduler simulates; does nothing otherwise, or
    /// when `math.randomseed` is not the standard one (a script replaced it: it is then not called).
    static func seed(_ L: OpaquePointer, runtime: RuntimeCore) {
        let lua = LuaStack(L)
        guard let schedule = runtime.scheduler.simulatedSchedule,
              let context = LuaStateContext.of(L),
              lua.reserve(4)
        else { return }
        let top = lua.top
        defer { lua.setTop(top) }
        // package.loaded.math.randomseed, read raw (no metamethods run).
        guard lua.pushLoaded("math") == LUA_TTABLE,
              lua.rawGet(-1, field: "randomseed") == LUA_TFUNCTION,
              lua.isCFunction(at: -1)
        else { return }
        lua.push(integer: lua_Integer(bitPattern: mix(schedule.seed, UInt64(context.id))))
        lua.push(integer: lua_Integer(context.id))
        _ = lua.protectedCall(arguments: 2, results: 0)
    }

    /// The seed and the state's number mixed by SplitMix64's output function: nearby seeds and
    /// numbers give unrelated values.
    private static func mix(_ seed: UInt64, _ number: UInt64) -> UInt64 {
        SplitMix64.finalise(seed &+ number &* SplitMix64.increment)
    }
}

extension LuaRuntime {
    /// Puts the runtime's scheduler on `schedule` (``Scheduler/simulate(_:)``) and seeds the
    /// host state's `math.random` from it (object states made from now on are seeded as they are
    /// made). Throws what `simulate` throws.
    public func simulate(_ schedule: SimulatedSchedule) throws(SimulationRefused) {
        try scheduler.simulate(schedule)
        SimulatedRandomness.seed(hostState, runtime: core)
    }
}
