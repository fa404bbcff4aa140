import Desync

/// A desync object made from Lua: a `Desync` whose value is a Lua state of its own, shared by
/// reference between states (a proxy userdata in each).
final class LuaObject: LuaSharedObject {
    static let luaTypeName = "desync.object"

    let desync: Desync<ObjectState>
    /// The name given to `desync.new`, or `#<number>`.
    let name: String
    let runtime: RuntimeCore
    /// What the runtime's registry of live objects refers to (weakly) while this object lives.
    let presence: LiveObject
    /// `package.path` and `package.cpath` of the state that made the object, when it was made.
    let packagePaths: (path: String, cpath: String)?

    /// An object holding `value`, whose Lua state may hold at most `memoryLimit` bytes while its
    /// code runs (nil: no limit).
    init(value: LuaCargo, name: String?, memoryLimit: Int? = nil, runtime: RuntimeCore,
         packagePaths: (path: String, cpath: String)? = nil) {
        self.packagePaths = packagePaths
        let number = runtime.nextObjectID()
        self.name = name ?? "#\(number)"
        self.runtime = runtime
        let memory = LuaMemoryAccount(limit: memoryLimit)
        desync = Desync(
            ObjectState(initialValue: value, runtime: runtime, memory: memory), label: self.name,
            scheduler: runtime.scheduler)
        presence = LiveObject(desync: desync, name: self.name, memory: memory)
    }

    /// Jobs queued and not finished.
    var pending: Int { desync.pending }

    /// True inside one of this object's jobs (directly or through nested `sync` calls).
    var isRunningHere: Bool { desync.isRunningOnCurrentThread }

    func sync(_ call: LuaCargo) -> Result<LuaCargo, LuaJobError> {
        desync.sync { state in state.run(call, for: self) }
    }

    /// `sync` for the host: waits through a future (`LuaWait`), so that Ctrl-C can stop the wait
    /// (a job not started yet is then cancelled).
    func interruptibleSync(_ call: LuaCargo) throws(LuaError) -> Result<LuaCargo, LuaJobError> {
        let future = desync.future(as: .sync) { state in state.run(call, for: self) }
        do {
            _ = try LuaWait(runtime: runtime, isHost: true).wait(
                for: future, until: nil, stuck: "cannot sync with desync.object: \(name)")
        } catch {
            future.cancel()
            throw error
        }
        // Checked even when the job finished: it may have finished early because of Ctrl-C.
        if runtime.takeInterrupt() { throw .interrupted }
        return try! future.wait()
    }

    func trySync(_ call: LuaCargo) -> Result<LuaCargo, LuaJobError>? {
        // Inside its own job the object is busy by definition; the core would stop the program.
        if isRunningHere { return nil }
        return desync.trySync { state in state.run(call, for: self) }
    }

    func async(_ call: LuaCargo) {
        desync.async { state in self.runAsync(call, in: state) }
    }

    /// Runs an `async` job: nobody waits for its outcome, so a failure is reported (on_error).
    func runAsync(_ call: LuaCargo, in state: ObjectState) {
        if case .failure(let error) = state.run(call, for: self) {
            runtime.errors.report(error, on: self)
        }
    }

    func future(_ call: LuaCargo) -> LuaFuture {
        let future = desync.future { state throws -> LuaCargo in try state.run(call, for: self).get() }
        return LuaFuture(future, object: self)
    }

    /// Runs `call` with the results of `first` once it is done; a failed `first` fails this one
    /// with the same error, without calling the function.
    func after(_ first: LuaFuture, _ call: LuaCargo) -> LuaFuture {
        let future = desync.after(first.future) { state, outcome throws -> LuaCargo in
            let results = try outcome.get()
            return try state.run(call, extra: results, for: self).get()
        }
        return LuaFuture(future, object: self)
    }
}
