import DesyncLua

/// `:trace on`, `:trace off`, `:trace save FILE`, `:trace show [width]`: the runtime's tracing
/// from the REPL. `:trace` alone says whether tracing is on.
struct TraceCommand {
    let runtime: LuaRuntime

    static let usage = "usage: :trace on | off | save FILE | show [width]\n"

    func run(_ arguments: [String]) {
        switch (arguments.first, arguments.count) {
        case (nil, _):
            StandardStreams.write("tracing is \(runtime.isTracing ? "on" : "off")\n")
        case ("on", 1):
            runtime.startTrace()
            StandardStreams.write("tracing on\n")
        case ("off", 1):
            let events = runtime.stopTrace()
            StandardStreams.write("tracing off: \(events.count) events\n")
        case ("save", 2):
            if let error = runtime.saveTrace(to: arguments[1]) {
                StandardStreams.write("cannot write trace \(error)\n", toError: true)
            } else {
                StandardStreams.write("trace saved to \(arguments[1])\n")
            }
        case ("show", 1):
            StandardStreams.write(runtime.traceTimeline())
        case ("show", 2):
            guard let width = Int(arguments[1]), (10...1000).contains(width) else { fallthrough }
            StandardStreams.write(runtime.traceTimeline(width: width))
        default:
            StandardStreams.write(Self.usage, toError: true)
        }
    }
}
