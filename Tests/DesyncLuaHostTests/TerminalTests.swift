import Foundation
import Testing

/// The REPL under a real terminal: libedit, prompts, Ctrl-C, Ctrl-D, history.
@Suite(.enabled(if: TerminalSession.tmuxAvailable, "needs tmux"))
struct TerminalTests {
    @Test func bannerPromptAndExpressions() throws {
        let terminal = try TerminalSession()
        try terminal.waitFor("the banner") { $0.first?.hasPrefix("desync-lua ") == true && $0.first?.contains("(Lua 5.4.") == true }
        try terminal.waitForPrompt()
        try terminal.type("1 + 2, 'x'")
        try terminal.waitForLine("3\tx".replacingOccurrences(of: "\t", with: "       "))
        try terminal.waitForPrompt()
    }

    @Test func continuationPrompt() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.type("for i = 1, 2 do")
        try terminal.waitForPrompt(">>")
        try terminal.type("print('line', i) end")
        try terminal.waitForLine("line    2")
        try terminal.waitForPrompt()
    }

    @Test func controlCInterruptsALoopAndTheReplGoesOn() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        // ThreadSanitizer holds a signal back until the thread next enters libc, which a pure Lua
        // loop never does; under TSan the loop makes a libc call so the signal is delivered.
        let loop = underThreadSanitizer ? "while true do os.time() end" : "while true do end"
        try terminal.type(loop)
        try terminal.waitForLine("> " + loop)
        Thread.sleep(forTimeInterval: 0.3)  // into the loop
        try terminal.send("C-c")
        try terminal.waitFor("interrupted!") { $0.contains { $0.hasSuffix("interrupted!") } }
        try terminal.waitForPrompt()
        try terminal.type("'still alive'")
        try terminal.waitForLine("still alive")
    }

    @Test func controlCAtThePromptDropsTheLine() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.send("-l", "for i = 1, 3 do")
        try terminal.waitForLine("> for i = 1, 3 do")
        try terminal.send("C-c")
        try terminal.waitForPrompt()
        try terminal.type("'fresh'")
        try terminal.waitForLine("fresh")
        try terminal.waitForPrompt()
    }

    @Test func controlDExits() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.send("C-d")
        try terminal.waitForLine("EXIT=0")
    }

    @Test func historyPersists() throws {
        let marker = "history_marker_\(UUID().uuidString.prefix(8))"
        // A HOME of its own: the other sessions write their history to the shared one.
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("desync-lua-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let terminal = try TerminalSession(home: home)
        try terminal.waitForPrompt()
        try terminal.type("\(marker) = 1")
        try terminal.waitForPrompt()
        try terminal.send("C-d")
        try terminal.waitForLine("EXIT=0")
        let history = try String(contentsOf: home.appendingPathComponent(".desync_lua_history"), encoding: .utf8)
        #expect(history.contains(marker))
    }

    @Test func twoReplsAtOnceKeepEachOthersHistory() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("desync-lua-history-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        // Both read the (empty) history before either writes to it.
        let first = try TerminalSession(home: home)
        let second = try TerminalSession(home: home)
        try first.waitForPrompt()
        try second.waitForPrompt()
        try first.type("first_marker = 1")
        try first.waitForPrompt()
        try second.type("second_marker = 2")
        try second.waitForPrompt()
        try first.type("third_marker = 3")
        try first.waitForPrompt()
        for terminal in [first, second] {
            try terminal.send("C-d")
            try terminal.waitForLine("EXIT=0")
        }
        let history = try String(contentsOf: home.appendingPathComponent(".desync_lua_history"), encoding: .utf8)
        for marker in ["first_marker", "second_marker", "third_marker"] {
            #expect(history.contains(marker), "\(marker) missing from \(history)")
        }
    }

    @Test func controlCInterruptsABlockingSync() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        // The object sleeps in a job; the host's sync waits behind it, outside Lua code.
        try terminal.type("obj = desync.new({}) obj:async(function() desync.sleep(30) end) obj:sync(function() end)")
        Thread.sleep(forTimeInterval: 0.5)
        try terminal.send("C-c")
        try terminal.waitFor("interrupted!") { $0.contains { $0.hasSuffix("interrupted!") } }
        try terminal.waitForPrompt()
        try terminal.type("'still alive'")
        try terminal.waitForLine("still alive")
        try terminal.waitForPrompt()
    }

    @Test func controlCInterruptsABlockedWait() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.type("f = desync.new({}):future(function() desync.sleep(30) end) f:wait()")
        Thread.sleep(forTimeInterval: 0.5)
        try terminal.send("C-c")
        try terminal.waitFor("interrupted!") { $0.contains { $0.hasSuffix("interrupted!") } }
        try terminal.waitForPrompt()
        // The interrupt was for that line only: the next blocking call waits as usual.
        try terminal.type("desync.new({ n = 4 }):sync(function(data) return data.n end)")
        try terminal.waitForLine("4")
        try terminal.waitForPrompt()
    }

    @Test func asyncErrorsPrintAboveThePromptAndKeepTheLine() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.type("desync.new({}, { name = 'late' }):async(function() desync.sleep(0.7) error('boom') end)")
        try terminal.waitForPrompt()
        try terminal.send("-l", "x = 1")  // typed, not entered, while the job still sleeps
        try terminal.waitFor("the report above the partial line") { screen in
            guard let report = screen.firstIndex(where: { $0.contains("desync: error in async job on late:") && $0.contains("boom") })
            else { return false }
            // The report (and its traceback) replaced the empty prompt; the prompt and the
            // partial line were drawn again below it.
            return screen.last == "> x = 1" && report == 2 && !screen.dropFirst(2).dropLast().contains("> x = 1")
        }
        try terminal.type("23")
        try terminal.waitForPrompt()
        try terminal.type("x")
        try terminal.waitForLine("123")
        try terminal.waitForPrompt()
    }
}

/// True when this test process runs under ThreadSanitizer (then so does the desync-lua it starts).
let underThreadSanitizer: Bool = dlsym(dlopen(nil, RTLD_NOW), "__tsan_init") != nil
