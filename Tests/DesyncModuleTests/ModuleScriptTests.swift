import Foundation
import Testing

/// The scripts desync-lua runs (Tests/lua, scripts/examples), run by stock `lua5.4` with
/// desync.so: `lua5.4 -l desync script` (every script uses the global `desync`, which `-l` sets).
enum ModuleScripts {
    /// Scripts that need something only desync-lua has, with the reason. None so far: each one
    /// passes under lua5.4 (the module's host state differs only in its allocator: no memory
    /// accounting for the script's own state, which no script measures).
    static let hostOnly: [String: String] = [:]

    static var all: [String] {
        let root = ModuleProcess.packageRoot
        return ["Tests/lua", "scripts/examples"].flatMap { directory in
            ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(directory).path)) ?? [])
                .filter { $0.hasSuffix(".lua") }.sorted().map { "\(directory)/\($0)" }
        }.filter { hostOnly[$0] == nil }
    }
}

@Suite("desync.so under stock lua5.4", .serialized,
       .enabled(if: ModuleProcess.isInstalled("lua5.4"), "lua5.4 is not installed (scripts/setup installs it)"),
       .disabled(if: ModuleProcess.sanitizerBuild, "a sanitizer build's desync.so cannot load into stock lua5.4"))
struct ModuleScriptTests {
    @Test("the script directories have scripts")
    func scriptsAreThere() {
        #expect(ModuleScripts.all.count >= 20)
    }

    @Test("script passes under lua5.4 -l desync", arguments: ModuleScripts.all)
    func script(path: String) throws {
        let outcome = try ModuleProcess.run("/usr/bin/lua5.4", ["-l", "desync", path])
        #expect(outcome.status == 0, "\(path): status \(outcome.status)\n\(outcome.stderr)")
        // desync-lua's exit status counts async errors nobody observed; lua5.4's cannot, so
        // such a report (stderr) fails the run here.
        #expect(outcome.stderr.isEmpty, "\(path): \(outcome.stderr)")
    }

    @Test("require returns the module, which is also the global desync")
    func requireReturnsModule() throws {
        let outcome = try ModuleProcess.run("/usr/bin/lua5.4", ["-e", """
            local d = require "desync"
            assert(d == desync and type(d.new) == "function")
            assert(require "desync" == d)
            print(d.new({}):sync(function() return "ran in an object" end))
            """])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout == "ran in an object\n")
    }

    @Test("work queued when the script ends runs before lua5.4 exits, and an error ends it as lua does")
    func queuedWorkRunsAtExit() throws {
        let outcome = try ModuleProcess.run("/usr/bin/lua5.4", ["-l", "desync", "-e", """
            local log = desync.new({}, { name = "log" })
            for i = 1, 5 do log:async(function(_, n) desync.sleep(0.02); print("job " .. n) end, i) end
            error("script failed")
            """])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("script failed"))
        #expect(outcome.stdout == (1...5).map { "job \($0)\n" }.joined())
    }

    @Test("objects get the caller's package.path and cpath")
    func objectsGetPackagePaths() throws {
        let outcome = try ModuleProcess.run("/usr/bin/lua5.4", ["-l", "desync", "-e", """
            package.path = "/nowhere/?.lua;" .. package.path
            local obj = desync.new({})
            local path, cpath = obj:sync(function() return package.path, package.cpath end)
            assert(path == package.path, path)
            assert(cpath == package.cpath, cpath)
            """])
        #expect(outcome.status == 0, "\(outcome.stderr)")
    }

    @Test("an unobserved async error is reported on stderr, and on_error sees errors in the host state")
    func errorsAreReported() throws {
        let outcome = try ModuleProcess.run("/usr/bin/lua5.4", ["-l", "desync", "-e", """
            local seen = {}
            desync.on_error(function(err) seen[#seen + 1] = err.message or tostring(err) end)
            local obj = desync.new({}, { name = "failing" })
            obj:async(function() error("observed") end)
            obj:sync(function() end)
            desync.poll()   -- any call into desync hands the host its waiting reports
            assert(#seen == 1, #seen)
            desync.on_error(nil)
            obj:async(function() error("nobody looks") end)
            """])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("nobody looks"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("failing"), "\(outcome.stderr)")
    }

    @Test("lua5.3 cannot load desync.so and says why", .enabled(if: ModuleProcess.isInstalled("lua5.3")))
    func luaFiveThree() throws {
        let outcome = try ModuleProcess.run("/usr/bin/lua5.3", ["-e", "require 'desync'"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("error loading module 'desync'"), "\(outcome.stderr)")
        // The dynamic linker refuses the module before luaopen_desync runs, naming the first
        // 5.4-only function it looks up (which one depends on the build's symbol order: a
        // lua_ or a luaL_ one).
        #expect(outcome.stderr.contains("undefined symbol: lua_") || outcome.stderr.contains("undefined symbol: luaL_"),
                "\(outcome.stderr)")
    }
}
