import DesyncLua

/// The REPL's `:` commands: a line starting with `:` is never valid Lua, so it is free for the
/// workbench's own tools.
struct ReplCommands {
    enum Outcome: Equatable {
        case proceed
        case quit
    }

    let runtime: LuaRuntime

    static let help = """
        :help        this list
        :stats       the scheduler: threads alive, busy and idle, jobs run (by kind, by waiting
                     callers), objects with queued work, the longest queue
        :threads     the pool size; :threads N sets it (0 to 4096)
        :objects     the live desync objects, with their queued jobs and their Lua memory
        :trace on    start tracing every job (:trace off stops; :trace says which)
        :trace save FILE   write the trace as Chrome Trace Event JSON (Perfetto)
        :trace show [width]   the trace as a timeline: a row per thread, a letter per object
        :quit        leave (as does Ctrl-D)

        """

    /// Runs `line` (which starts with `:`) and writes its output to stdout.
    func execute(_ line: String) -> Outcome {
        let words = line.dropFirst().split(whereSeparator: \.isWhitespace).map(String.init)
        let arguments = Array(words.dropFirst())
        switch words.first ?? "" {
        case "help":
            StandardStreams.write(Self.help)
        case "stats":
            StandardStreams.write(StatsReport.text(for: runtime))
        case "threads":
            threads(arguments)
        case "trace":
            TraceCommand(runtime: runtime).run(arguments)
        case "objects":
            StandardStreams.write(objectsReport())
        case "quit", "q":
            return .quit
        case let name:
            StandardStreams.write("unknown command ':\(name)' (:help lists the commands)\n", toError: true)
        }
        return .proceed
    }

    private func threads(_ arguments: [String]) {
        if let argument = arguments.first {
            guard arguments.count == 1 else {
                StandardStreams.write("usage: :threads [N]\n", toError: true)
                return
            }
            switch ThreadCount.parse(argument) {
            case .success(let count): runtime.scheduler.maxThreads = count
            case .failure(let problem):
                StandardStreams.write(problem.message + "\n", toError: true)
                return
            }
        }
        StandardStreams.write("threads: at most \(runtime.scheduler.maxThreads)\n")
    }

    /// `bytes` as `:objects` shows it: bytes, KiB or MiB.
    static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        let kib = Double(bytes) / 1024
        if kib < 1024 { return "\((kib * 10).rounded() / 10) KiB" }
        return "\((kib / 1024 * 10).rounded() / 10) MiB"
    }

    private func objectsReport() -> String {
        let objects = runtime.liveObjects()
        guard !objects.isEmpty else { return "no live objects\n" }
        let width = objects.map(\.name.count).max() ?? 0
        return objects.map { object in
            let padding = String(repeating: " ", count: width - object.name.count)
            return "\(object.name)\(padding)  \(object.pending) queued, Lua memory \(Self.size(object.memory))\n"
        }.joined()
    }
}
