/// Stops and saves a runtime's trace from any thread: what `desync-lua --trace FILE` needs when
/// the program ends through `exit` (Lua's `os.exit`, from the script or from a job), where the
/// runtime itself belongs to the host's thread.
public struct TraceSaver: Sendable {
    let log: TraceLog

    /// Stops tracing and writes the trace as Chrome Trace Event JSON to `path`; an error message
    /// ("path: reason") when it cannot be written, closed included.
    public func stopAndSave(to path: String) -> String? {
        _ = log.stop()
        return log.save(to: path)
    }
}

extension LuaRuntime {
    /// This runtime's ``TraceSaver``.
    public var traceSaver: TraceSaver { TraceSaver(log: core.trace) }
}
