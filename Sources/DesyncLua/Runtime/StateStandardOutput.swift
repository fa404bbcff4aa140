import CLua
import NIOConcurrencyHelpers
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An object state's `io.stdout`: what its jobs write there (`io.write`, `io.stdout:write`,
/// desync's `print`) reaches the process's stdout in whole lines, so that lines from parallel
/// jobs never mix, as with `print`.
///
/// The state's stdout stream is a line-buffered stdio stream of its own (`linefile.h`), put in
/// place of the C `stdout` inside the `io` library's stream object, so that Lua's own
/// `io.write` and file methods run unchanged (their results and error messages are stock
/// Lua's). stdio hands the bytes over when a line is complete, when its buffer is full, and on
/// `fflush` (`io.flush()`, `io.stdout:flush()`); full buffers keep their partial last line here
/// until the rest of it comes. Each hand-over is written to the process's stdout under its
/// lock, then flushed, as `print` is. What is left of a line goes out when the job ends
/// (`jobEnded(in:)`) or the state closes.
final class StateStandardOutput {
    /// The state's stdout stream.
    private(set) var file: UnsafeMutablePointer<FILE>?
    /// The partial last line of full buffers, and the stream (also read by stdio's callbacks,
    /// which another thread can run: `fflush(NULL)`, `exit`).
    private let sink = NIOLockedValueBox(Sink())
    /// The sink holds a partial line.
    private let holding = Atomic<Bool>(false)

    private struct Sink {
        var file: UnsafeMutablePointer<FILE>?
        var held: [UInt8] = []
    }

    private init() {}

    /// Puts a line stream in place of the C `stdout` behind `L`'s `io.stdout` (and the default
    /// output, the same object). nil, leaving stock stdout, when `io` is not loaded or its
    /// stdout is not the C one, or where the stream cannot be made. Raw access only.
    static func install(in L: OpaquePointer) -> StateStandardOutput? {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        guard lua.reserve(4), let stream = stdoutStream(of: L),
              stream.pointee.f == desync_stdout()
        else { return nil }
        let output = StateStandardOutput()
        let cookie = Unmanaged.passRetained(output).toOpaque()
        guard let file = desync_linefile_open(cookie, writeCallback, closeCallback) else {
            Unmanaged<StateStandardOutput>.fromOpaque(cookie).release()
            return nil
        }
        output.file = file
        output.sink.withLockedValue { $0.file = file }
        stream.pointee.f = file
        return output
    }

    /// `package.loaded.io.stdout`'s stream, if it is one of the `io` library's files.
    private static func stdoutStream(of L: OpaquePointer) -> UnsafeMutablePointer<luaL_Stream>? {
        let lua = LuaStack(L)
        lua.push(cString: LUA_LOADED_TABLE)
        guard lua.rawGet(DESYNC_LUA_REGISTRYINDEX) == LUA_TTABLE else { return nil }
        lua.push("io")
        guard lua.rawGet(-2) == LUA_TTABLE else { return nil }
        lua.push("stdout")
        guard lua.rawGet(-2) == LUA_TUSERDATA, lua.pushMetatable(-1) else { return nil }
        lua.push(cString: LUA_FILEHANDLE)
        lua.rawGet(DESYNC_LUA_REGISTRYINDEX)
        guard lua.rawEqual(-1, -2), let pointer = lua.userdata(at: -3) else { return nil }
        return pointer.assumingMemoryBound(to: luaL_Stream.self)
    }

    /// A line from desync's `print`: into the state's stream, so that it stays in order with
    /// what `io.write` wrote before it (and completes its line), then out.
    func writeLine(_ bytes: UnsafePointer<CChar>, count: Int) {
        guard let file else { return }
        flockfile(file)
        fwrite(bytes, 1, count, file)
        fputc(10, file)
        funlockfile(file)
        fflush(file)
    }

    /// The end of a job in `L`: the partial line it left goes out. Cheap when there is none
    /// (every job ends here).
    static func jobEnded(in L: OpaquePointer) {
        guard let pointer = LuaStack(L).extraSpace.pointee else { return }
        Unmanaged<LuaStateContext>.fromOpaque(pointer)._withUnsafeGuaranteedRef { $0.standardOutput?.flushLine() }
    }

    /// Whatever waits, in stdio's buffer or here, goes out.
    private func flushLine() {
        guard let file else { return }
        if desync_linefile_pending(file) > 0 {
            fflush(file)
        } else if holding.load(ordering: .relaxed) {
            sink.withLockedValue { sink in
                Self.emit(sink.held, UnsafeRawBufferPointer(start: nil, count: 0))
                sink.held = []
                holding.store(false, ordering: .relaxed)
            }
        }
    }

    /// After the state is closed: the rest goes out and the stream is closed.
    func close() {
        guard let file else { return }
        self.file = nil
        fclose(file)
        sink.withLockedValue { $0.file = nil }
    }

    /// Bytes from stdio. A full buffer (or whole buffers of a long write) may end inside a
    /// line: its last partial line waits here. Anything else is a line that ended, a flush or
    /// an unbuffered stream (`setvbuf("no")`), and goes out whole.
    private func take(_ bytes: UnsafeRawBufferPointer) {
        sink.withLockedValue { sink in
            let bufferSize = sink.file.map { desync_linefile_buffer_size($0) } ?? 0
            let fullBuffers = bufferSize > 1 && bytes.count % bufferSize == 0
            if !fullBuffers {
                Self.emit(sink.held, bytes)
                sink.held = []
            } else if let newline = bytes.lastIndex(of: 10) {
                Self.emit(sink.held, UnsafeRawBufferPointer(rebasing: bytes[...newline]))
                sink.held = Array(bytes[(newline + 1)...])
            } else {
                sink.held.append(contentsOf: bytes)
            }
            holding.store(!sink.held.isEmpty, ordering: .relaxed)
        }
    }

    /// `held` then `bytes` to the process's stdout, together, then flushed (as `print` does).
    private static func emit(_ held: [UInt8], _ bytes: UnsafeRawBufferPointer) {
        guard !held.isEmpty || !bytes.isEmpty else { return }
        let out = desync_stdout()
        flockfile(out)
        held.withUnsafeBytes { if let base = $0.baseAddress { fwrite(base, 1, $0.count, out) } }
        if let base = bytes.baseAddress { fwrite(base, 1, bytes.count, out) }
        funlockfile(out)
        fflush(out)
    }

    private static let writeCallback: desync_linefile_write = { cookie, bytes, size in
        guard let cookie else { return 0 }
        if let bytes, size > 0 {
            Unmanaged<StateStandardOutput>.fromOpaque(cookie).takeUnretainedValue()
                .take(UnsafeRawBufferPointer(start: bytes, count: size))
        }
        return size
    }

    private static let closeCallback: desync_linefile_close = { cookie in
        if let cookie { Unmanaged<StateStandardOutput>.fromOpaque(cookie).release() }
        return 0
    }
}
