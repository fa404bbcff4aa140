/// Traces in the Chrome Trace Event JSON format, which Perfetto (ui.perfetto.dev) and
/// chrome://tracing open: one track per thread, one slice per job, named by object.
public enum ChromeTraceFormat {
    /// The JSON document for `events`.
    public static func json(_ events: [TraceEvent]) -> String {
        var entries: [String] = []
        let threads = Set(events.map(\.thread)).sorted()
        for thread in threads {
            let pool = events.contains { $0.thread == thread && $0.onPoolThread }
            entries.append(
                #"{"name":"thread_name","ph":"M","pid":1,"tid":\#(thread),"args":{"name":"# +
                quoted("thread \(thread)" + (pool ? " (pool)" : " (caller)")) + "}}")
        }
        if events.contains(where: \.resumes) {
            entries.append(#"{"name":"thread_name","ph":"M","pid":1,"tid":0,"args":{"name":"waiting (no thread)"}}"#)
        }
        for event in events {
            if event.resumes, event.started > event.queued {
                // The wait before a resumed slice: the job held its object, and no thread.
                entries.append(
                    #"{"name":"# + quoted(event.object + " (waiting)") + #","cat":"waiting","ph":"X","ts":"#
                    + microseconds(event.queued) + #","dur":"# + microseconds(event.started - event.queued)
                    + #","pid":1,"tid":0}"#)
            }
            let start = microseconds(event.started)
            let duration = microseconds(event.finished - event.started)
            let waited = microseconds(event.started - min(event.queued, event.started))
            entries.append(
                #"{"name":"# + quoted(event.object) + #","cat":"# + quoted(event.kind.name)
                + #","ph":"X","ts":\#(start),"dur":\#(duration),"pid":1,"tid":\#(event.thread)"#
                + #","args":{"kind":"# + quoted(event.kind.name) + #","queued_us":\#(waited)"#
                + #","pool_thread":\#(event.onPoolThread),"resumes":\#(event.resumes)"#
                + (event.stillRunning ? #","running":true"# : "")
                // A simulated run's pick: the ready queues this job's queue was picked among.
                + (event.readyQueues.isEmpty ? "" : #","ready":["# + event.readyQueues.map(quoted).joined(separator: ",") + "]")
                + "}}")
        }
        return "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n" + entries.joined(separator: ",\n") + "\n]}\n"
    }

    private static func microseconds(_ nanoseconds: UInt64) -> String {
        let whole = nanoseconds / 1000
        let fraction = nanoseconds % 1000
        return fraction == 0 ? "\(whole)" : "\(whole).\(String(fraction + 1000).dropFirst())"
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
