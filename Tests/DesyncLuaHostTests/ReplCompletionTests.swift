import Foundation
import Testing

/// The REPL at a terminal: Tab completes Lua names, results print as readable Lua.
@Suite(.enabled(if: TerminalSession.tmuxAvailable, "needs tmux"))
struct ReplCompletionTests {
    @Test func theBannerNamesHelp() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        #expect(try terminal.screen().first?.hasSuffix(")  :help lists the commands") == true)
    }

    @Test func tabCompletesAFieldOfATable() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.send("-l", "desync.sch")
        try terminal.send("Tab")
        try terminal.waitFor("the completed field") { $0.last == "> desync.scheduler" }
        try terminal.send("-l", ".max")
        try terminal.send("Tab")
        try terminal.waitFor("the completed nested field") { $0.last == "> desync.scheduler.max_threads" }
        try terminal.type("()")
        try terminal.waitFor("its value") { $0.dropLast().last?.allSatisfy(\.isNumber) == true }
    }

    @Test func aSecondTabListsTheCandidates() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.send("-l", "desync.s")
        try terminal.send("Tab")
        try terminal.send("Tab")
        try terminal.waitFor("the candidates listed") { screen in
            screen.contains { line in
                let words = line.split(separator: " ").map(String.init)
                return ["scheduler", "self", "show", "sleep", "stream"].allSatisfy(words.contains)
            } && screen.last == "> desync.s"
        }
    }

    @Test func tabCompletesGlobalsAndMethodsWithoutRunningMetamethods() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.type("counter_object = desync.new({}) trap = setmetatable({}, { __index = function() print('RAN') end })")
        try terminal.waitForPrompt()
        // The prompt is drawn a moment before the line editor reads keys; keys typed in between
        // are echoed by the terminal ahead of the prompt (type-ahead, as with any readline
        // program). Seen under ThreadSanitizer, which slows that moment down: "counter_o> ".
        Thread.sleep(forTimeInterval: 0.5)
        try terminal.send("-l", "counter_o")
        try terminal.send("Tab")
        try terminal.waitFor("the completed global") { $0.last == "> counter_object" }
        try terminal.send("-l", ":pen")
        try terminal.send("Tab")
        try terminal.waitFor("the completed method") { $0.last == "> counter_object:pending" }
        try terminal.send("C-u")
        try terminal.send("-l", "trap.x")
        try terminal.send("Tab")
        try terminal.send("Tab")
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try !terminal.screen().contains("RAN"))
        try terminal.send("C-u")
        try terminal.type("'alive'")
        try terminal.waitForLine("alive")
    }

    @Test func resultsPrintAsReadableLua() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.type("{ n = 1, 'a', 'b' }, 'plain'")
        try terminal.waitFor("the table and the string") { screen in
            screen.contains { $0.hasPrefix("{ \"a\", \"b\", n = 1 } ") && $0.hasSuffix(" plain") }
        }
        try terminal.type("t = { 1 } t.me = t return t")
        try terminal.waitForLine("{ 1, me = <cycle> }")
        try terminal.type("gate = desync.stream() f = desync.new({}, { name = 'slow' }):future(function(_, g) g:receive() end, gate) return f")
        try terminal.waitFor("the future's name and status") { screen in
            screen.contains("<desync.future slow pending>") || screen.contains("<desync.future slow running>")
        }
        try terminal.type("gate:send(1) f:wait() return f")
        try terminal.waitForLine("<desync.future slow done>")
    }
}
