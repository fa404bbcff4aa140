import Foundation
import Testing

/// A trace that cannot be written is an error everywhere (`--trace`, `desync.trace.save`,
/// `:trace save`), and `--trace` keeps what its path names (issue 20).
///
/// Write errors come from `/dev/full` reached through a symbolic link in a temporary directory:
/// a host that replaced the file it was given would replace the link, never the device.
@Suite struct TraceFileTests {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("desync-lua-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A link to `/dev/full` (every write fails with ENOSPC); nil where there is no such device.
    private func linkToFullDevice() throws -> URL? {
        var status = stat()
        guard stat("/dev/full", &status) == 0, status.st_mode & S_IFMT == S_IFCHR else { return nil }
        let link = try temporaryDirectory().appendingPathComponent("full.json")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "/dev/full")
        return link
    }

    private func isSymbolicLink(_ url: URL) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) != nil
    }

    @Test("--trace refuses to write over the script, or any Lua file, and leaves it as it was")
    func traceOptionKeepsTheScript() throws {
        let directory = try temporaryDirectory()
        let script = directory.appendingPathComponent("victim.lua")
        let source = "print('ran')\n"
        try source.write(to: script, atomically: true, encoding: .utf8)
        let alias = directory.appendingPathComponent("alias")
        try FileManager.default.linkItem(at: script, to: alias)
        for arguments in [["--trace", script.path, script.path], ["--trace", script.path],
                          ["--trace", alias.path, script.path]] {
            let result = try HostProcess.run(arguments, input: "")
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("--trace would overwrite the Lua file"), "\(arguments): \(result.stderr)")
            #expect(try String(contentsOf: script, encoding: .utf8) == source)
        }
    }

    @Test func traceOptionKeepsALinkAndWritesThroughIt() throws {
        let directory = try temporaryDirectory()
        let target = directory.appendingPathComponent("target.json")
        let link = directory.appendingPathComponent("link.json")
        #expect(FileManager.default.createFile(atPath: target.path, contents: nil))
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: target.path)
        let result = try HostProcess.run(["--trace", link.path, "-e", "desync.new({}, { name = 'a' }):sync(function() end)"])
        #expect(result.status == 0)
        #expect(result.stderr == "")
        #expect(isSymbolicLink(link), "the link was replaced by a file")
        let json = try String(contentsOf: target, encoding: .utf8)
        #expect(json.contains("\"name\":\"a\""))
    }

    @Test func traceOptionReportsAWriteErrorAndExitsWithOne() throws {
        guard let full = try linkToFullDevice() else { return }
        let result = try HostProcess.run(["--trace", full.path, "-e", "print('ran')"])
        #expect(result.stdout == "ran\n")
        #expect(result.status == 1)
        #expect(result.stderr == "desync-lua: cannot write trace \(full.path): No space left on device\n")
        #expect(isSymbolicLink(full))
    }

    @Test func luaSaveAndReplSaveReportAWriteError() throws {
        guard let full = try linkToFullDevice() else { return }
        let lua = try HostProcess.run(["-e", "print(desync.trace.save('\(full.path)'))"])
        #expect(lua.stdout == "nil\t\(full.path): No space left on device\n")
        let repl = try HostProcess.run(["-i"], input: ":trace on\n:trace save \(full.path)\n")
        #expect(!repl.stdout.contains("trace saved"))
        #expect(repl.stderr == "cannot write trace \(full.path): No space left on device\n")
    }

    @Test func osExitInATracedRunStillSavesTheTrace() throws {
        let file = try temporaryDirectory().appendingPathComponent("trace.json")
        let result = try HostProcess.run(["--trace", file.path, "-e", """
            desync.new({}, { name = 'before_exit' }):sync(function() end)
            os.exit(3)
            """])
        #expect(result.status == 3)
        let json = try String(contentsOf: file, encoding: .utf8)
        #expect(json.contains("\"name\":\"before_exit\""))
    }

    @Test func osExitFromAJobInATracedRunStillSavesTheTrace() throws {
        let file = try temporaryDirectory().appendingPathComponent("trace.json")
        let result = try HostProcess.run(["--trace", file.path, "-e", """
            desync.new({}, { name = 'exiting' }):sync(function() os.exit(true) end)
            """])
        #expect(result.status == 0)
        #expect(try String(contentsOf: file, encoding: .utf8).hasPrefix("{"))
    }

    @Test func osExitWithAnUnwritableTraceExitsWithOne() throws {
        guard let full = try linkToFullDevice() else { return }
        let result = try HostProcess.run(["--trace", full.path, "-e", "print('ran') os.exit(0)"])
        #expect(result.stdout == "ran\n")
        #expect(result.status == 1)
        #expect(result.stderr == "desync-lua: cannot write trace \(full.path): No space left on device\n")
    }
}
