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
                     (with many: a summary and the busiest; :objects all lists every one)
        :trace on    start tracing every job (:trace off stops; :trace says which)
        :trace save FILE   write the trace as Chrome Trace Event JSON (Perfetto)
        :trace show [width]   the trace as a timeline: a row per thread, a letter per object
        :quit        leave (as does Ctrl-D)
        A command may be shortened to any prefix that names only it (:h, :st, :obj).

        """

    /// The commands' full names, which `execute` matches a prefix against.
    static let names = ["help", "stats", "threads", "objects", "trace", "quit"]

    /// With more live objects than this, `:objects` shows a summary and the busiest.
    static let objectsListedInFull = 20

    /// Runs `line` (which starts with `:`) and writes its output to stdout.
    func execute(_ line: String) -> Outcome {
        let words = line.dropFirst().split(whereSeparator: \.isWhitespace).map(String.init)
        let arguments = Array(words.dropFirst())
        let typed = words.first ?? ""
        let matching = Self.names.filter { $0.hasPrefix(typed) }
        let command: String
        if Self.names.contains(typed) || matching.count != 1 {
            command = typed
        } else {
            command = matching[0]
        }
        if !typed.isEmpty, matching.count > 1, !Self.names.contains(typed) {
            let candidates = matching.map { ":" + $0 }.joined(separator: ", ")
            StandardStreams.write("ambiguous command ':\(typed)' (\(candidates))\n", toError: true)
            return .proceed
        }
        switch command {
        case "help":
            StandardStreams.write(Self.help)
        case "stats":
            StandardStreams.write(StatsReport.text(for: runtime))
        case "threads":
            threads(arguments)
        case "trace":
            TraceCommand(runtime: runtime).run(arguments)
        case "objects":
            guard arguments.isEmpty || arguments == ["all"] else {
                StandardStreams.write("usage: :objects [all]\n", toError: true)
                break
            }
            StandardStreams.write(objectsReport(all: arguments == ["all"]))
        case "quit":
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
            case .success(let count) where count != 0 && runtime.scheduler.isSimulated:
                // The core's setter would stop the program: a simulated schedule keeps 0 threads.
                StandardStreams.write("a simulated schedule runs on one thread: the pool stays at 0\n", toError: true)
                return
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

    private func objectsReport(all: Bool) -> String {
        let objects = runtime.liveObjects()
        guard !objects.isEmpty else { return "no live objects\n" }
        guard !all, objects.count > Self.objectsListedInFull else { return lines(for: objects) }
        // Hundreds of objects: what they add up to, then the busiest (queued jobs, then memory).
        let withWork = objects.filter { $0.pending > 0 }
        let queued = withWork.reduce(0) { $0 + $1.pending }
        let memory = objects.reduce(0) { $0 + $1.memory }
        let busiest = objects.enumerated().sorted { left, right in
            (left.element.pending, left.element.memory, right.offset) > (right.element.pending, right.element.memory, left.offset)
        }.prefix(Self.objectsListedInFull / 2).map(\.element)
        return "\(objects.count) live objects, \(withWork.count) with queued work (\(queued) jobs queued), Lua memory \(Self.size(memory)); the busiest:\n"
            + lines(for: Array(busiest))
            + "... and \(objects.count - busiest.count) more (:objects all lists every one)\n"
    }

    private func lines(for objects: [(name: String, pending: Int, memory: Int)]) -> String {
        let width = objects.map(\.name.count).max() ?? 0
        return objects.map { object in
            let padding = String(repeating: " ", count: width - object.name.count)
            return "\(object.name)\(padding)  \(object.pending) queued, Lua memory \(Self.size(object.memory))\n"
        }.joined()
    }
}
