import CLua
import DesyncLua
import Foundation
import NIOConcurrencyHelpers

/// `--trace FILE`: the whole run is traced, and the trace saved when the run ends, whether it
/// succeeded or not, and also when it ends through `os.exit` (an `atexit` hook, see
/// `savedAtExit`). A trace that cannot be written is an error: a message and exit status 1.
struct TraceFile {
    let path: String
    let runtime: LuaRuntime

    /// Checks that `path` can be written before anything runs, then starts tracing. Nil, with
    /// the message on stderr, when it cannot.
    ///
    /// The file is opened for writing as Lua's `io.open(path, "w")` would, not replaced: a
    /// symbolic link, a device or a file's owner and mode stay as they are (an atomic replacement
    /// turned `/dev/full`, run as root, into a regular file that then took every write).
    ///
    /// A `path` that is the script, or any Lua file, is refused before it is touched: `--trace
    /// x.lua x.lua`, or `--trace x.lua` with the trace's name forgotten, emptied the script.
    static func start(_ path: String, runtime: LuaRuntime, script: String?) -> TraceFile? {
        if path.lowercased().hasSuffix(".lua") || script.map({ isSameFile(path, $0) }) == true {
            StandardStreams.write(
                "\(HostInfo.programName): --trace would overwrite the Lua file '\(path)' (name the trace FILE.json)\n",
                toError: true)
            return nil
        }
        guard let file = fopen(path, "w"), fclose(file) == 0 else {
            report("\(path): \(String(cString: strerror(errno)))")
            return nil
        }
        runtime.startTrace()
        pendingAtExit.withLockedValue { $0 = (path, runtime.traceSaver) }
        installAtExitHook
        return TraceFile(path: path, runtime: runtime)
    }

    private static func isSameFile(_ first: String, _ second: String) -> Bool {
        var a = stat(), b = stat()
        guard stat(first, &a) == 0, stat(second, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// Stops tracing and saves; false, with the message on stderr, when saving failed.
    func finish() -> Bool {
        Self.pendingAtExit.withLockedValue { $0 = nil }
        runtime.stopTrace()
        guard let error = runtime.saveTrace(to: path) else { return true }
        Self.report(error)
        return false
    }

    private static func report(_ problem: String) {
        StandardStreams.write("\(HostInfo.programName): cannot write trace \(problem)\n", toError: true)
    }

    /// The trace still to be saved if the process exits before `finish`: `os.exit` calls C's
    /// `exit` at once, as in `lua`, from the script or from any job's thread.
    private static let pendingAtExit = NIOLockedValueBox<(path: String, saver: TraceSaver)?>(nil)

    private static let installAtExitHook: Void = { atexit(savedAtExit) }()

    /// Saves a trace that `finish` did not; when it cannot be written, says so and makes the
    /// exit status 1 (`_exit` after flushing what the program wrote: calling `exit` again from
    /// an `atexit` hook is undefined).
    private static let savedAtExit: @convention(c) () -> Void = {
        guard let (path, saver) = pendingAtExit.withLockedValue({ pending in
            defer { pending = nil }
            return pending
        }) else { return }
        guard let problem = saver.stopAndSave(to: path) else { return }
        report(problem)
        fflush(nil)
        _exit(1)
    }
}
