import CLua

/// The value inside an object's `Desync`: its Lua state, made on the first job so that objects
/// that never run anything cost no state.
final class ObjectState {
    private var state: OpaquePointer?
    private var dataRef: Int32 = 0
    private var initialValue: LuaCargo?
    private let runtime: RuntimeCore
    /// Counts the state's memory; released after the state is closed (the allocator uses it).
    private let memory: LuaMemoryAccount

    init(initialValue: LuaCargo, runtime: RuntimeCore, memory: LuaMemoryAccount) {
        self.initialValue = initialValue
        self.runtime = runtime
        self.memory = memory
    }

    deinit {
        if let state { StatePreparation.close(state) }
    }

    /// Runs a job for `object` (whose state this is).
    func run(_ call: LuaCargo, extra: LuaCargo? = nil, for object: LuaObject) -> Result<LuaCargo, LuaJobError> {
        guard let L = prepared(for: object) else {
            let message = "desync: cannot create a Lua state for \(object.name)"
            return .failure(LuaJobError(value: LuaCargo(), text: message))
        }
        if runtime.isOnHostThread, let host = runtime.hostThreadLuaCode.withLockedValue({ $0 }) {
            let previous = host.entering(L)
            defer { host.leaving(L, resuming: previous) }
            return JobRunner.run(in: L, dataRef: dataRef, call: call, extra: extra)
        }
        return JobRunner.run(in: L, dataRef: dataRef, call: call, extra: extra)
    }

    private func prepared(for object: LuaObject) -> OpaquePointer? {
        if let state { return state }
        guard let L = StatePreparation.newObjectState(runtime: runtime, object: object, memory: memory) else { return nil }
        initialValue?.push(onto: L)
        initialValue = nil
        dataRef = luaL_ref(L, DESYNC_LUA_REGISTRYINDEX)
        state = L
        return L
    }
}
