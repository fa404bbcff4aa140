import Foundation
import Testing

/// Every script in scripts/examples runs without error (each asserts its own results).
@Suite("Examples in scripts/examples")
struct ExampleTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/examples")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".lua") }.sorted()
    }

    @Test("the examples the README promises are there")
    func present() {
        for name in ["tour.lua", "counter.lua", "fanout.lua", "zero_threads.lua"] {
            #expect(Self.names.contains(name), "missing \(name)")
        }
    }

    @Test("example runs", arguments: names)
    func example(name: String) throws {
        let source = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        // As if run as `desync-lua scripts/examples/NAME <temporary file>`.
        let error = runLuaScript("""
            package.path = \(String(reflecting: Self.directory.path + "/?.lua;")) .. package.path
            local scratch = os.tmpname(); arg = { [0] = \(String(reflecting: name)), scratch }
            """ + "\n" + source + "\nos.remove(scratch)", name: name)
        #expect(error == nil, "\(error ?? "")")
    }
}
