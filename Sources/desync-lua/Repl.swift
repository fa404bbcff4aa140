import CLua
import DesyncLua

/// The interactive loop: read a statement, run it, print what it returns, go on.
struct Repl {
    /// How far the schedule runs after each line of a simulated REPL: bounded, so a job that
    /// sleeps in a loop (a heartbeat) leaves the prompt usable.
    static let simulatedStepsPerLine = 10_000

    let runner: ChunkRunner
    let runtime: LuaRuntime
    let input: LineSource

    private var lua: LuaStack { runner.lua }
    private static let chunkName = "=stdin"

    private enum Statement {
        case chunk  // compiled, on top of the stack
        case loadError  // the message on top of the stack
        case command(String)
        case interrupted
        case endOfInput
    }

    func run() {
        let commands = ReplCommands(runtime: runtime)
        loop: while true {
            runtime.deliverPendingErrors()
            let base = lua.top
            switch readStatement() {
            case .endOfInput:
                break loop
            case .interrupted:
                break
            case .command(let line):
                if commands.execute(line) == .quit { break loop }
            case .loadError:
                runner.reportError(withProgramName: false)
            case .chunk:
                // A Ctrl-C at the prompt, or one that came after the last line ended, is not for this line.
                runtime.clearInterrupt()
                if runner.call(argumentCount: 0, resultCount: LUA_MULTRET) == LUA_OK {
                    printResults(from: base + 1)
                } else {
                    runner.reportError(withProgramName: false)
                }
                // A simulated schedule has no thread of its own: what the line queued runs now,
                // before the next prompt, as a pool would have run it meanwhile.
                if !runtime.runSimulatedSchedule(steps: Self.simulatedStepsPerLine) {
                    runtime.clearInterrupt()
                    StandardStreams.write("desync: the simulated schedule paused after \(Self.simulatedStepsPerLine) steps or Ctrl-C, with work left (a job that sleeps in a loop never lets it run dry); it goes on after the next line\n", toError: true)
                }
            }
            lua.setTop(base)
            StandardStreams.flushOutput()
        }
        StandardStreams.write("\n")
        StandardStreams.flushOutput()
    }

    private func readStatement() -> Statement {
        let firstLine: String
        switch input.readLine(prompt: prompt(first: true)) {
        case .line(let line): firstLine = line
        case .interrupted: return .interrupted
        case .end: return .endOfInput
        }
        if firstLine.drop(while: \.isWhitespace).hasPrefix(":") {
            input.remember(firstLine)
            return .command(String(firstLine.drop(while: \.isWhitespace)))
        }
        // `=expr` is an old shorthand for `return expr` that `lua` 5.4 still accepts.
        let line = firstLine.hasPrefix("=") ? "return " + firstLine.dropFirst() : firstLine
        // An expression first, so that its values print.
        if runner.load("return " + line, chunkName: Self.chunkName) == LUA_OK {
            input.remember(firstLine)
            return .chunk
        }
        lua.pop()
        var buffer = line
        while true {
            let status = runner.load(buffer, chunkName: Self.chunkName)
            guard isIncomplete(status) else {
                input.remember(buffer)
                return status == LUA_OK ? .chunk : .loadError
            }
            switch input.readLine(prompt: prompt(first: false)) {
            case .line(let next):
                lua.pop()
                buffer += "\n" + next
            case .interrupted:
                lua.pop()
                return .interrupted
            case .end:
                input.remember(buffer)
                return .loadError
            }
        }
    }

    /// A syntax error at the end of the input: the statement goes on in the next line.
    private func isIncomplete(_ status: Int32) -> Bool {
        guard status == LUA_ERRSYNTAX, let message = lua.string(at: -1) else { return false }
        return message.hasSuffix("<eof>")
    }

    /// `_PROMPT`/`_PROMPT2` when set, converted as `tostring` would, else the default.
    private func prompt(first: Bool) -> String {
        let fallback = first ? "> " : ">> "
        let base = lua.top
        defer { lua.setTop(base) }
        switch lua.pushGlobal(first ? "_PROMPT" : "_PROMPT2") {
        case LUA_TNIL:
            return fallback
        case LUA_TSTRING, LUA_TNUMBER:
            return lua.string(at: -1) ?? fallback
        default:
            // tostring may run a __tostring metamethod: only in a protected call.
            lua.pushGlobal("tostring")
            lua.insert(at: -2)
            guard lua.protectedCall(arguments: 1, results: 1) == LUA_OK else { return fallback }
            return lua.string(at: -1) ?? fallback
        }
    }

    /// Prints the values from `first` to the top with the global `print`, as `lua` does, tables
    /// and userdata shown readably first (`{ 1, 2, n = 2 }`, `<desync.future f pending>`).
    private func printResults(from first: Int32) {
        let count = lua.top - first + 1
        guard count > 0 else { return }
        for index in first...lua.top where [LUA_TTABLE, LUA_TUSERDATA].contains(lua.type(at: index)) {
            lua.push(LuaValueText.describe(lua.state, at: index))
            lua.replace(at: index)
        }
        guard lua.reserve(1) else {
            StandardStreams.write("too many results to print\n", toError: true)
            return
        }
        lua.pushGlobal("print")
        lua.insert(at: first)
        if lua.protectedCall(arguments: count, results: 0) != LUA_OK {
            let message = lua.string(at: -1) ?? "(error object is a \(lua.typeName(at: -1)) value)"
            StandardStreams.write("error calling 'print' (\(message))\n", toError: true)
        }
    }
}
