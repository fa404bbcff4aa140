import Foundation
import Testing

/// desync.so as scripts/lua-module and the rockspec install it: the loader
/// (Sources/DesyncLuaModule/Loader) in front of this build's libdesync.so as desync/core.so.
/// An older Lua gets a Lua error naming the versions; without the loader, the dynamic linker
/// refused the module with "undefined symbol: lua_resetthread" before any of its code ran.
@Suite("desync.so's loader: Lua 5.4 loads the module, older Luas get a clear error", .serialized,
       .enabled(if: ModuleProcess.isInstalled("cc"), "needs cc (scripts/setup installs it)"),
       .disabled(if: ModuleProcess.sanitizerBuild, "a sanitizer build's desync.so cannot load into stock Lua"))
struct LuaVersionTests {
    /// The module laid out once per test run, in a temporary directory, by the script that
    /// scripts/lua-module uses.
    static let installed: Result<URL, InstallFailure> = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("desync-loader-\(getpid())")
        do {
            let install = try ModuleProcess.run(
                ModuleProcess.packageRoot.appendingPathComponent("Sources/DesyncLuaModule/Loader/install-module").path,
                [ModuleProcess.libraryDirectory.appendingPathComponent("libdesync.so").path, directory.path])
            guard install.status == 0 else { return .failure(InstallFailure(message: install.stderr)) }
            return .success(directory)
        } catch {
            return .failure(InstallFailure(message: "\(error)"))
        }
    }()

    struct InstallFailure: Error { let message: String }

    static func require(with lua: String) throws -> ModuleProcess.Outcome {
        let directory = try installed.get()
        return try ModuleProcess.run(lua, ["-e", #"print(require "desync")"#],
                                     environment: ["LUA_CPATH": directory.path + "/?.so;;"], timeout: 60)
    }

    @Test("lua5.4 loads the module through the loader and runs a job")
    func lua54() throws {
        let directory = try Self.installed.get()
        let outcome = try ModuleProcess.run("/usr/bin/lua5.4", ["-e", """
            local d = require "desync"
            print(d.new({ n = 41 }):sync(function(t) return t.n + 1 end))
            """], environment: ["LUA_CPATH": directory.path + "/?.so;;"], timeout: 60)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout == "42\n")
    }

    @Test("lua5.3: require fails with a Lua error naming both versions")
    func lua53() throws {
        let outcome = try Self.require(with: "/usr/bin/lua5.3")
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("desync needs Lua 5.4; this program runs Lua 5.3"), "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("undefined symbol"), "\(outcome.stderr)")
        // A Lua error, which the script can catch, not a crash.
        let caught = try ModuleProcess.run("/usr/bin/lua5.3", ["-e", #"print(pcall(require, "desync"))"#],
                                           environment: ["LUA_CPATH": try Self.installed.get().path + "/?.so;;"],
                                           timeout: 60)
        #expect(caught.status == 0, "\(caught.stderr)")
        #expect(caught.stdout.hasPrefix("false\t"), "\(caught.stdout)")
        #expect(caught.stdout.contains("desync needs Lua 5.4; this program runs Lua 5.3"), "\(caught.stdout)")
    }

    @Test("lua5.1: require fails with a Lua error naming both versions")
    func lua51() throws {
        let outcome = try Self.require(with: "/usr/bin/lua5.1")
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("desync needs Lua 5.4; this program runs Lua 5.1"), "\(outcome.stderr)")
    }

    @Test("LuaJIT: require fails with a Lua error naming both")
    func luajit() throws {
        let outcome = try Self.require(with: "/usr/bin/luajit")
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("desync needs Lua 5.4; this program runs LuaJIT (Lua 5.1)"), "\(outcome.stderr)")
    }

    @Test("a missing desync/core.so is named in the error")
    func missingCore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("desync-loader-alone-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: try Self.installed.get().appendingPathComponent("desync.so"),
                                         to: directory.appendingPathComponent("desync.so"))
        let outcome = try ModuleProcess.run("/usr/bin/lua5.4", ["-e", #"require "desync""#],
                                            environment: ["LUA_CPATH": directory.path + "/?.so;;"], timeout: 60)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("desync: cannot load \(directory.path)/desync/core.so"), "\(outcome.stderr)")
    }
}
