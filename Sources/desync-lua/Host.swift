import CLua
import CLuaHost
import DesyncLua
import Foundation

/// One run of `desync-lua`: the steps of the stock `lua`, in its order, on a desync runtime.
struct Host {
    let options: CommandLineOptions
    let arguments: [String]
    let runtime: LuaRuntime
    let runner: ChunkRunner
    let interrupts: InterruptSignals?

    private var lua: LuaStack { runner.lua }

    /// Parses the command line, runs, and returns the exit status.
    static func main(arguments: [String]) -> Int32 {
        switch CommandLineOptions.parse(arguments) {
        case .help:
            StandardStreams.write(HostInfo.usage)
            return 0
        case .usageError(let message):
            StandardStreams.write("\(HostInfo.programName): \(message)\n\(HostInfo.usage)", toError: true)
            return 1
        case .run(let options) where options.simulation.isExploring:
            return Explorer(options: options, arguments: arguments).run()
        case .run(let options):
            let runtime = LuaRuntime()
            if let threads = options.threads { runtime.scheduler.maxThreads = threads }
            if let schedule = options.simulation.schedule {
                // Before anything runs, LUA_INIT included: the whole run is on the schedule.
                do {
                    try runtime.simulate(schedule)
                } catch {
                    StandardStreams.write("\(HostInfo.programName): \(error)\n", toError: true)
                    return 1
                }
            }
            var trace: TraceFile?
            if let path = options.traceFile {
                var script: String?
                if case .file(let name) = options.script { script = name }
                trace = TraceFile.start(path, runtime: runtime, script: script)
                guard trace != nil else { return 1 }
            }
            let interrupts = InterruptSignals.install(for: runtime)
            let runner = ChunkRunner(lua: LuaStack(state: runtime.hostState), interrupts: interrupts)
            let host = Host(options: options, arguments: arguments, runtime: runtime, runner: runner,
                            interrupts: interrupts)
            let ending = host.run()
            let finished = host.finish(ending)
            let traceSaved = trace?.finish() ?? true
            return finished && traceSaved ? 0 : 1
        }
    }

    /// How the script's part of a run ended.
    enum Ending {
        /// A batch run whose script (or `-e`, `-l`, LUA_INIT) succeeded.
        case batch
        /// Something the host ran failed (its message is printed).
        case failed
        /// The REPL ended (`:quit`, Ctrl-D, end of input).
        case interactive
    }

    private func run() -> Ending {
        if options.showVersion { StandardStreams.write(HostInfo.banner + "\n") }
        if options.ignoreEnvironment { ignoreEnvironment() }
        makeArgumentTable()
        guard options.ignoreEnvironment || runInitialization(),
              runActions(),
              runScript() else { return .failed }
        if options.interactive {
            runRepl()
            return .interactive
        }
        if options.script == nil && !options.hasExecute && !options.showVersion {
            if StandardStreams.inputIsTerminal {
                StandardStreams.write(HostInfo.banner + HostInfo.replHint)
                runRepl()
                return .interactive
            }
            guard runFile(nil, arguments: []) else { return .failed }
        }
        return .batch
    }

    /// The end of every run, as `lua` ends with `lua_close`: waits until the objects' queued and
    /// running work is done, closes the host state (its finalizers may queue more work), and
    /// waits again. Ctrl-C stops the waiting (the work left is dropped, and the status is 1).
    /// False when the run fails: the script failed, the wait was interrupted, or (in a batch
    /// run) an error went unobserved.
    ///
    /// The REPL waits too, instead of dropping what `:quit` or Ctrl-D left queued, and says so
    /// when there is something to wait for.
    func finish(_ ending: Ending) -> Bool {
        runtime.clearInterrupt()
        if ending == .interactive, runtime.pendingJobCount > 0 {
            StandardStreams.write(
                "\(HostInfo.programName): waiting for \(jobCount(runtime.pendingJobCount)) still queued or running (Ctrl-C drops them)\n",
                toError: true)
        }
        interrupts?.rearm()
        guard runtime.waitUntilIdle() else { return runtime.waitFoundStuckWork ? false : interrupted(ending) }
        runtime.closeHostState()
        guard runtime.waitUntilIdle() else { return runtime.waitFoundStuckWork ? false : interrupted(ending) }
        switch ending {
        case .batch: return runtime.unobservedFailureCount == 0
        case .failed: return false
        case .interactive: return true
        }
    }

    /// Ctrl-C stopped the final wait: says so, and in the REPL how much work is dropped.
    private func interrupted(_ ending: Ending) -> Bool {
        var message = "\(HostInfo.programName): interrupted!"
        if ending == .interactive { message += " (\(jobCount(runtime.pendingJobCount)) dropped)" }
        StandardStreams.write(message + "\n", toError: true)
        return false
    }

    private func jobCount(_ count: Int) -> String {
        count == 1 ? "1 job" : "\(count) jobs"
    }

    private func runRepl() {
        guard StandardStreams.inputIsTerminal else {
            Repl(runner: runner, runtime: runtime, input: PlainLineSource()).run()
            return
        }
        CompletionHook.shared.install(for: lua)
        // Async errors that arrive while the prompt waits are printed above it.
        runtime.asyncErrorPrinter = { PromptReports.shared.print($0) }
        // on_error handlers run while the prompt waits, as their errors arrive.
        runtime.pendingErrorNotifier = { PromptReports.shared.wake() }
        PromptReports.shared.setWhileWaiting { [runtime] in runtime.deliverPendingErrors() }
        defer {
            runtime.asyncErrorPrinter = nil
            runtime.pendingErrorNotifier = nil
            PromptReports.shared.setWhileWaiting(nil)
        }
        Repl(runner: runner, runtime: runtime, input: EditLineSource(interrupts: interrupts)).run()
    }

    /// `-E`: the runtime opened the libraries already, so the paths taken from LUA_PATH and
    /// LUA_CPATH are put back to Lua's defaults.
    private func ignoreEnvironment() {
        lua.push(true)
        lua.setRegistryValue("LUA_NOENV")
        guard lua.pushGlobal("package") == LUA_TTABLE else {
            lua.pop()
            return
        }
        let package = lua.top
        lua.push(cString: desync_host_default_path())
        lua.setField(of: package, "path")
        lua.push(cString: desync_host_default_cpath())
        lua.setField(of: package, "cpath")
        lua.pop()
    }

    /// `arg`: the script at 0, the interpreter and its options below, the script's arguments above.
    private func makeArgumentTable() {
        let scriptIndex = options.scriptIndex
        lua.newTable(array: Int32(max(arguments.count - scriptIndex - 1, 0)), fields: Int32(scriptIndex + 1))
        for (index, argument) in arguments.enumerated() {
            lua.push(argument)
            lua.rawSet(-2, index: lua_Integer(index - scriptIndex))
        }
        lua.setGlobal("arg")
    }

    /// LUA_INIT_5_4, else LUA_INIT: code, or `@file` to run a file.
    private func runInitialization() -> Bool {
        let environment = ProcessInfo.processInfo.environment
        for name in ["LUA_INIT_5_4", "LUA_INIT"] {
            guard let value = environment[name] else { continue }
            if value.hasPrefix("@") { return runFile(String(value.dropFirst()), arguments: []) }
            return succeeded(runner.run(value, chunkName: "=" + name))
        }
        return true
    }

    private func runActions() -> Bool {
        for action in options.actions {
            switch action {
            case .execute(let code):
                guard succeeded(runner.run(code, chunkName: "=(command line)")) else { return false }
            case .require(let global, let module):
                guard require(module, into: global) else { return false }
            case .enableWarnings:
                lua.warn("@on")
            }
        }
        return true
    }

    private func require(_ module: String, into global: String) -> Bool {
        lua.pushGlobal("require")
        lua.push(module)
        guard succeeded(runner.call(argumentCount: 1, resultCount: 1)) else { return false }
        lua.setGlobal(global)
        return true
    }

    private func runScript() -> Bool {
        guard let script = options.script else { return true }
        let scriptArguments = Array(arguments.dropFirst(options.scriptIndex + 1))
        switch script {
        case .file(let path): return runFile(path, arguments: scriptArguments)
        case .standardInput: return runFile(nil, arguments: scriptArguments)
        }
    }

    /// Runs a file (standard input when `path` is nil) with `arguments` as its `...`.
    private func runFile(_ path: String?, arguments: [String]) -> Bool {
        var status = runner.loadFile(path)
        if status == LUA_OK {
            guard lua.reserve(Int32(arguments.count) + 1) else {
                lua.pop()
                StandardStreams.write("\(HostInfo.programName): too many arguments to script\n", toError: true)
                return false
            }
            arguments.forEach(lua.push)
            status = runner.call(argumentCount: Int32(arguments.count), resultCount: 0)
        }
        return succeeded(status)
    }

    /// Reports the error on top of the stack when `status` is not LUA_OK.
    private func succeeded(_ status: Int32) -> Bool {
        guard status != LUA_OK else { return true }
        runner.reportError(withProgramName: true)
        return false
    }
}
