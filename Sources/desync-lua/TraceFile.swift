import DesyncLua
import Foundation

/// `--trace FILE`: the whole run is traced, and the trace saved when the run ends, whether it
/// succeeded or not (not after `os.exit`, which leaves at once, as in `lua`).
struct TraceFile {
    let path: String
    let runtime: LuaRuntime

    /// Checks that `path` can be written before anything runs, then starts tracing. Nil, with
    /// the message on stderr, when it cannot.
    static func start(_ path: String, runtime: LuaRuntime) -> TraceFile? {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            let reason = String(cString: strerror(errno))
            StandardStreams.write("\(HostInfo.programName): cannot write trace \(path): \(reason)\n", toError: true)
            return nil
        }
        runtime.startTrace()
        return TraceFile(path: path, runtime: runtime)
    }

    /// Stops tracing and saves; false, with the message on stderr, when saving failed.
    func finish() -> Bool {
        runtime.stopTrace()
        guard let error = runtime.saveTrace(to: path) else { return true }
        StandardStreams.write("\(HostInfo.programName): cannot write trace \(error)\n", toError: true)
        return false
    }
}
