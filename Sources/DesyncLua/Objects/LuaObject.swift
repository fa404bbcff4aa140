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
    /// code runs (nil: no limit). `passesData`: jobs get the value as their first argument
    /// (`desync.spawn`'s object has none).
    init(value: LuaCargo, name: String?, memoryLimit: Int? = nil, passesData: Bool = true, runtime: RuntimeCore,
         packagePaths: (path: String, cpath: String)? = nil) {
        self.packagePaths = packagePaths
        let number = runtime.nextObjectID()
        self.name = name ?? "#\(number)"
        self.runtime = runtime
        let memory = LuaMemoryAccount(limit: memoryLimit)
        desync = Desync(
            ObjectState(initialValue: value, runtime: runtime, memory: memory, passesData: passesData), label: self.name,
            scheduler: runtime.scheduler)
        presence = LiveObject(desync: desync, name: self.name, memory: memory)
    }

    /// Jobs queued and not finished, a suspended one included.
    var pending: Int { desync.pending }

    /// True inside one of this object's jobs (directly or through nested `sync` calls).
    var isRunningHere: Bool { desync.isRunningOnCurrentThread }

    /// Runs `call` after the jobs queued before it, here when nobody runs them (the core's
    /// `sync`). If the job suspends, its outcome comes later, through the returned future.
    func sync(_ call: LuaCargo) -> LuaJobStart {
        desync.sync { state in state.start(call, for: self, kind: .sync, end: .caller) }
    }

    /// `sync` for the host: waits through a future (`LuaWait`), so that Ctrl-C can stop the wait
    /// (a job not started yet is then cancelled).
    func interruptibleSync(_ call: LuaCargo) throws(LuaError) -> Result<LuaCargo, any Error> {
        let future = submitFuture(call, kind: .sync).future
        do {
            _ = try LuaWait(runtime: runtime, isHost: true).wait(
                for: future, until: nil, stuck: "cannot sync with desync.object: \(name)")
        } catch {
            future.cancel()
            throw error
        }
        // Checked even when the job finished: it may have finished early because of Ctrl-C.
        if runtime.takeInterrupt() { throw .interrupted }
        return future.outcome!
    }

    /// Runs `call` at once if the object is idle; nil when it is busy.
    func trySync(_ call: LuaCargo) -> LuaJobStart? {
        // Inside its own job the object is busy by definition; the core would stop the program.
        if isRunningHere { return nil }
        return desync.trySync { state in state.start(call, for: self, kind: .sync, end: .caller) }
    }

    func async(_ call: LuaCargo) {
        desync.async { state in self.runAsync(call, in: state) }
    }

    /// Runs an `async` job: nobody waits for its outcome, so a failure is reported (on_error).
    func runAsync(_ call: LuaCargo, in state: ObjectState) {
        _ = state.start(call, for: self, kind: .async, end: .report)
    }

    /// A `sync` queued behind other jobs, for a caller that waits for its outcome itself: no
    /// `LuaFuture` around it, whose end would report a failure that the caller raises anyway.
    func queuedSync(_ call: LuaCargo) -> DesyncFuture<LuaCargo> {
        submitFuture(call, kind: .sync).future
    }

    func future(_ call: LuaCargo, kind: JobKind = .future) -> LuaFuture {
        let (future, control) = submitFuture(call, kind: kind)
        return LuaFuture(future, object: self, control: control)
    }


    private func submitFuture(_ call: LuaCargo, kind: JobKind) -> (future: DesyncFuture<LuaCargo>, control: LuaJobControl) {
        let future: DesyncFuture<LuaCargo> = desync.makeFuture()
        let control = LuaJobControl()
        desync.submit(kind, completing: future) { state in
            _ = state.start(call, for: self, kind: kind, end: .future(future, control))
        }
        return (future, control)
    }

    /// Runs `call` with the results of `first` once it is done; a failed `first` fails this one
    /// with the same error, without calling the function.
    func after(_ first: LuaFuture, _ call: LuaCargo) -> LuaFuture {
        let future: DesyncFuture<LuaCargo> = desync.makeFuture()
        let control = LuaJobControl()
        let firstFuture = first.future
        desync.submit(.after, completing: future, after: firstFuture) { state in
            switch firstFuture.outcome! {
            case .success(let results):
                _ = state.start(call, extra: results, for: self, kind: .after, end: .future(future, control))
            case .failure(let error):
                self.desync.jobFinishing()
                future.complete(.failure(error))
            }
        }
        return LuaFuture(future, object: self, control: control)
    }
}
