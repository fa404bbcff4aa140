import Desync
import DesyncLua
import Foundation
import Testing

/// Runs one Lua test script in a fresh runtime on its own thread, with a timeout, so a deadlock
/// fails the test instead of hanging the suite.
func runLuaScript(_ source: String, name: String, threads: Int = 2, seconds: Double = 60) -> String? {
    let outcome = LuaScriptOutcome()
    let finished = DispatchSemaphore(value: 0)
    let thread = Thread {
        let runtime = LuaRuntime(scheduler: Scheduler(maxThreads: threads))
        var error = runtime.execute(source, name: "@" + name)
        if error == nil, !runtime.waitUntilIdle() { error = "interrupted" }
        // Scripts run in a loop of fresh runtimes: each one's threads go with it.
        runtime.scheduler.shutdown(timeout: .seconds(10))
        outcome.set(error)
        finished.signal()
    }
    thread.stackSize = 16 << 20
    thread.start()
    guard finished.wait(timeout: .now() + seconds) == .success else {
        return "\(name): timed out after \(seconds) s (deadlock?)"
    }
    return outcome.get()
}

final class LuaScriptOutcome: Sendable {
    private let box = NIOLockedValueBoxShim<String?>(nil)
    func set(_ value: String?) { box.set(value) }
    func get() -> String? { box.get() }
}

/// A tiny lock-protected box for test plumbing.
final class NIOLockedValueBoxShim<Value: Sendable>: @unchecked Sendable {
    // @unchecked: every access to `value` holds `lock`.
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func get() -> Value { lock.withLock { value } }
}

enum LuaScripts {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lua")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".lua") }.sorted()
    }

    static func source(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }
}

@Suite("Lua test scripts (Tests/lua), each in a fresh runtime")
struct LuaScriptTests {
    @Test("the script directory has scripts")
    func directoryIsThere() {
        #expect(LuaScripts.names.count >= 9)
    }

    @Test("script passes", arguments: LuaScripts.names)
    func script(name: String) throws {
        let error = runLuaScript(try LuaScripts.source(name), name: name)
        #expect(error == nil, "\(error ?? "")")
    }

    @Test("scripts also pass on a 1-thread pool", arguments: ["ordering.lua", "futures.lua", "nested.lua", "after.lua", "async_shapes.lua"])
    func oneThread(name: String) throws {
        let error = runLuaScript(try LuaScripts.source(name), name: name, threads: 1)
        #expect(error == nil, "\(error ?? "")")
    }
}
