import CLua
import Desync

/// The Lua side of desync for one program: the host state (the script's own) and the objects
/// created from it.
///
/// PLACEHOLDER INTERFACE: the runtime issue fills this in; the host codes against these names.
public final class LuaRuntime {
    /// The script's own `lua_State`, with the standard libraries and `desync` loaded.
    public let hostState: OpaquePointer

    public init(scheduler: Scheduler = .shared) {
        guard let state = desync_newstate() else { fatalError("desync: cannot create a Lua state") }
        hostState = state
    }

    deinit {
        lua_close(hostState)
    }

    /// Blocks until every object's queued work has run (pipes waiting on open streams excluded).
    public func waitUntilIdle() {}

    /// How many `async` jobs failed with nobody observing the error (no future, no `on_error`).
    public var unobservedFailureCount: Int { 0 }

    /// Runs the `desync.on_error` handlers for errors that arrived since the last call, and prints
    /// the reports that have no handler. The REPL calls it before each prompt.
    public func deliverPendingErrors() {}

    /// The scheduler the runtime's objects run on (`:threads`, `:stats`).
    public var scheduler: Scheduler { .shared }

    /// The live desync objects created by this runtime, with their queue lengths (`:objects`).
    public func liveObjects() -> [(name: String, pending: Int)] { [] }

    /// Asks the code running in the host state to stop with the error "interrupted!" (Ctrl-C),
    /// including a host blocked in `sync` or `wait`. Callable from any thread.
    public func interrupt() {}
}
