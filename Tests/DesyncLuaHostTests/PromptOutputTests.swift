import Foundation
import Testing

/// What jobs write while the REPL's prompt waits: above the prompt, the line being typed kept.
@Suite(.enabled(if: TerminalSession.tmuxAvailable, "needs tmux"))
struct PromptOutputTests {
    @Test func jobOutputPrintsAboveThePromptAndKeepsTheLine() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.type("c = desync.new({}) c:async(function() desync.sleep(0.7) print('tick') io.write('to', 'ck\\n') io.stderr:write('on stderr\\n') end)")
        try terminal.waitForPrompt()
        try terminal.send("-l", "y = 5")  // typed, not entered, while the job still sleeps
        try terminal.waitFor("the job's lines above the partial line") { screen in
            guard let tick = screen.firstIndex(of: "tick") else { return false }
            return screen.last == "> y = 5" && screen.count == tick + 4
                && screen[tick + 1] == "tock" && screen[tick + 2] == "on stderr"
        }
        #expect(try !terminal.screen().contains { $0.hasPrefix("> tick") || $0.hasPrefix("> y = 5t") })
        try terminal.type("0")
        try terminal.waitForPrompt()
        try terminal.type("y")
        try terminal.waitForLine("50")
        try terminal.waitForPrompt()
    }

    @Test func aPartialLineShowsUpAfterAMoment() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.type("c = desync.new({}) c:async(function() desync.sleep(0.5) io.write('no newline') io.flush() end)")
        try terminal.waitForPrompt()
        try terminal.waitFor("the partial line above an empty prompt") { screen in
            screen.last == ">" && screen.dropLast().last == "no newline"
        }
    }

    @Test func onErrorHandlersRunWhileThePromptWaits() throws {
        let terminal = try TerminalSession()
        try terminal.waitForPrompt()
        try terminal.type("desync.on_error(function(e) print('handled: ' .. e) end)")
        try terminal.waitForPrompt()
        try terminal.type("desync.new({}):async(function() desync.sleep(0.5) error('late failure', 0) end)")
        try terminal.waitForPrompt()
        try terminal.send("-l", "z")
        // No key pressed after the error: the handler ran while the prompt waited.
        try terminal.waitFor("the handler's line above the prompt") { screen in
            screen.contains("handled: late failure") && screen.last == "> z"
        }
    }
}
