import Foundation
import Testing

/// A C program embedding Lua 5.4 (Tests/embedding/two_states.c, built here with the system's
/// compiler and liblua5.4, under AddressSanitizer) requires desync in two states on two threads
/// and closes one while the other's jobs run.
@Suite("desync.so in a C program that embeds Lua 5.4", .serialized,
       .enabled(if: ModuleProcess.isInstalled("cc") && FileManager.default.fileExists(atPath: "/usr/include/lua5.4/lua.h"),
                "needs cc and liblua5.4-dev (scripts/setup installs them)"),
       .disabled(if: ModuleProcess.sanitizerBuild, "a sanitizer build's desync.so cannot load into stock lua5.4"))
struct EmbeddingTests {
    static let source = ModuleProcess.packageRoot.appendingPathComponent("Tests/embedding/two_states.c")

    /// Builds the program once per test run, in a temporary directory.
    static let program: Result<URL, BuildFailure> = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("desync-embedding-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let output = directory.appendingPathComponent("two_states")
        let compiler = ["/usr/bin/cc", "/bin/cc", "/usr/local/bin/cc"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/cc"
        do {
            let build = try ModuleProcess.run(compiler, [
                "-fsanitize=address", "-fno-omit-frame-pointer", "-g", "-I/usr/include/lua5.4",
                source.path, "-llua5.4", "-lpthread", "-o", output.path,
            ])
            guard build.status == 0 else { return .failure(BuildFailure(message: build.stderr)) }
            return .success(output)
        } catch {
            return .failure(BuildFailure(message: "\(error)"))
        }
    }()

    struct BuildFailure: Error { let message: String }

    @Test("two states, one closed while the other's jobs run: every job runs, nothing crashes", arguments: 1...3)
    func twoStates(round: Int) throws {
        let program = try Self.program.get()
        // LeakSanitizer stays off: its stop-the-world tracer itself crashed (signal 11, before
        // any report) on about 2 runs in 3 of this two-thread program, while a one-state program
        // passed it every time. AddressSanitizer's checks of every access stay on.
        let outcome = try ModuleProcess.run(program.path, [ModuleProcess.libraryDirectory.path + "/lib?.so"],
                                            environment: ["ASAN_OPTIONS": "detect_leaks=0"], timeout: 60)
        #expect(outcome.status == 0, "status \(outcome.status)\n\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        let aJobs = lines.indices.filter { lines[$0].hasPrefix("A job ") }
        let bJobs = lines.indices.filter { lines[$0].hasPrefix("B job ") }
        #expect(aJobs.count == 20, "A ran \(aJobs.count) of 20 jobs")
        #expect(bJobs.count == 40, "B ran \(bJobs.count) of 40 jobs")
        #expect(Set(lines.filter { $0.hasPrefix("A job ") }).count == 20)
        #expect(Set(lines.filter { $0.hasPrefix("B job ") }).count == 40)
        let aClosed = try #require(lines.firstIndex(of: "A closed"), "\(outcome.stdout)")
        let bClosed = try #require(lines.firstIndex(of: "B closed"), "\(outcome.stdout)")
        // lua_close(A) ran A's queued jobs first, and B's kept running across it.
        #expect(aJobs.allSatisfy { $0 < aClosed })
        #expect(bJobs.contains { $0 > aClosed }, "B's jobs had all finished before A closed")
        #expect(bJobs.allSatisfy { $0 < bClosed })
        #expect(lines.last == "done")
    }
}
