/// Lets a host that stops Lua code on Ctrl-C (as `lua.c` does, with a hook set from its signal
/// handler on the state that runs) reach the Lua code of jobs its own thread runs: with 0 pool
/// threads, or when a `sync` runs the object's queue itself, a job's code runs in the object's
/// state on the host's thread, and a hook on the host's state would never fire there.
public protocol HostThreadLuaCode: Sendable {
    /// Lua code is about to run in `state` on the host's thread. Returns the state that ran
    /// Lua code before, to give back to `leaving`.
    func entering(_ state: OpaquePointer) -> OpaquePointer?

    /// The Lua code in `state` is over; `previous` runs again.
    func leaving(_ state: OpaquePointer, resuming previous: OpaquePointer?)
}
