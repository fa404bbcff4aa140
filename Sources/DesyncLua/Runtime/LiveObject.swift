import Desync

/// A desync object as the runtime's registry of live objects sees it: its queue, its name and its
/// memory.
///
/// The registry refers to this, weakly, and not to the `LuaObject`, which owns it: a weak
/// reference gives an object a side table for its reference counts, after which every retain and
/// release of it takes a slower path, and a `LuaObject` is retained and released by every job.
final class LiveObject: Sendable {
    let desync: Desync<ObjectState>
    let name: String
    /// The memory of the object's Lua state, readable while a job runs there.
    let memory: LuaMemoryAccount

    init(desync: Desync<ObjectState>, name: String, memory: LuaMemoryAccount) {
        self.desync = desync
        self.name = name
        self.memory = memory
    }

    /// Jobs queued and not finished.
    var pending: Int { desync.pending }

    /// See `Desync.activity`.
    var activity: (pending: Int, changes: Int) { desync.activity }
}
