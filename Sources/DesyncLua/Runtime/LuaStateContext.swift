import CLua

/// What desync knows about one `lua_State`: which runtime it belongs to and, for an object's state,
/// which object. Kept in the state's extra space, so every call from Lua finds it in O(1).
final class LuaStateContext {
    let runtime: RuntimeCore
    /// The object whose state this is; nil for the host (the script's own state).
    ///
    /// Not retained: the object owns its state, not the other way round. Not weak either: a weak
    /// reference would slow down every retain and release of the object (see `LiveObject`). Lua
    /// code runs in an object's state only inside the object's jobs and pipes, which hold the
    /// object, and while the state closes, when `StatePreparation.close` has set this to nil.
    unowned(unsafe) var object: LuaObject?
    let isHost: Bool
    /// A number unique within the runtime, naming this state as the owner of an `on_error` handler.
    let id: Int
    /// The job whose coroutine runs in this state now, if any (one at a time: an object runs one
    /// job at a time, and its state belongs to it).
    var runningJob: RunningLuaJob?
    /// Functions this state sent lately, for transfer.
    let recentFunctionCodes = RecentFunctionCodes()
    /// The `desync.stream.from(fn)` generators of this state.
    let generators = OwnedGenerators()
    /// Raised when one of them has room and receivers elsewhere. The host's wakes the host's
    /// thread, which may be asleep in a wait: it fills the streams before it sleeps again.
    let generatorDemand: GeneratorDemand
    /// `f:on_done` callbacks waiting for this state's `desync.poll()`; made on first use.
    var futureCallbacks: FutureCallbackQueue {
        if let existingFutureCallbacks { return existingFutureCallbacks }
        let queue = FutureCallbackQueue()
        existingFutureCallbacks = queue
        return queue
    }
    /// `futureCallbacks` if this state made it.
    private(set) var existingFutureCallbacks: FutureCallbackQueue?
    /// An object state's `io.stdout`, which writes whole lines; nil for the host's.
    var standardOutput: StateStandardOutput?
    /// The `package.path` and `package.cpath` an object state's `package` library gets when it
    /// opens (`LazyLibraries`); nil for the host's.
    var packagePaths: (path: String, cpath: String)?

    private init(runtime: RuntimeCore, object: LuaObject?, isHost: Bool) {
        self.runtime = runtime
        self.object = object
        self.isHost = isHost
        self.id = runtime.nextStateID()
        generatorDemand = GeneratorDemand(waking: isHost ? runtime.hostParker : nil)
    }

    /// Released after its state is closed: an `on_error` handler that lived in the state is gone.
    deinit {
        runtime.errors.ownerClosed(id)
        generators.closeAll()
    }

    /// Attaches a new context to `L`; `detach` releases it before `lua_close`.
    @discardableResult
    static func attach(to L: OpaquePointer, runtime: RuntimeCore, object: LuaObject?, isHost: Bool) -> LuaStateContext {
        let context = LuaStateContext(runtime: runtime, object: object, isHost: isHost)
        LuaStack(L).extraSpace.pointee = Unmanaged.passRetained(context).toOpaque()
        return context
    }

    static func detach(from L: OpaquePointer) {
        let slot = LuaStack(L).extraSpace
        if let pointer = slot.pointee {
            Unmanaged<LuaStateContext>.fromOpaque(pointer).release()
            slot.pointee = nil
        }
    }

    static func of(_ L: OpaquePointer) -> LuaStateContext? {
        guard let pointer = LuaStack(L).extraSpace.pointee else { return nil }
        return Unmanaged<LuaStateContext>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// Error reports wait for this state's `on_error` handler, or its generator streams have
    /// receivers elsewhere and room.
    var hasPendingWork: Bool { generatorDemand.isRaised || runtime.errors.hasReports(for: id) }

    /// `hasPendingWork` of `L`'s context (false without one), asked on every call from Lua into
    /// desync: the context is only borrowed (the state holds it), so asking retains nothing.
    static func hasPendingWork(_ L: OpaquePointer) -> Bool {
        guard let pointer = LuaStack(L).extraSpace.pointee else { return false }
        return Unmanaged<LuaStateContext>.fromOpaque(pointer)._withUnsafeGuaranteedRef { $0.hasPendingWork }
    }

    /// `body` with `L`'s `recentFunctionCodes` (nil without a context), borrowed from the state,
    /// which holds it: asked on every capture of a function, and a strong reference to the
    /// context and the table cost two retains and two releases.
    static func withRecentFunctionCodes<R>(of L: OpaquePointer, _ body: (RecentFunctionCodes) -> R?) -> R? {
        guard let pointer = LuaStack(L).extraSpace.pointee else { return nil }
        return Unmanaged<LuaStateContext>.fromOpaque(pointer)._withUnsafeGuaranteedRef { body($0.recentFunctionCodes) }
    }

    /// Runs this state's `on_error` handler for each report that arrived, in order.
    /// Then fills its generator streams that receivers elsewhere wait for.
    func deliverPending(in L: OpaquePointer) throws {
        try runtime.errors.deliver(to: self, in: L)
        refillGenerators(in: L)
    }

    /// Fills this state's generator streams that receivers elsewhere wait for, if any do.
    func refillGenerators(in L: OpaquePointer) {
        if generatorDemand.take() { generators.refill(in: L, reports: runtime.errors) }
    }
}
