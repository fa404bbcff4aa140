import Desync

/// A desync object as the runtime's registry of live objects sees it: its queue and its name.
///
/// The registry refers to this, weakly, and not to the `LuaObject`, which owns it: a weak
/// reference gives an object a side table for its reference counts, after which every retain and
/// release of it takes a slower path, and a `LuaObject` is retained and released by every job.
final class LiveObject: Sendable {
    let desync: Desync<ObjectState>
    let name: String

    init(desync: Desync<ObjectState>, name: String) {
        self.desync = desync
        self.name = name
    }

    /// Jobs queued and not finished.
    var pending: Int { desync.pending }

    /// See `Desync.activity`.
    var activity: (pending: Int, changes: Int) { desync.activity }
}
