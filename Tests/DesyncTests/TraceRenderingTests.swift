import Foundation
import Testing

@testable import Desync

@Suite("Trace rendering: timeline and Chrome JSON")
struct TraceRenderingTests {
    static let events = [
        TraceEvent(object: "alpha", kind: .async, queued: 0, started: 0, finished: 500, thread: 1, onPoolThread: true),
        TraceEvent(object: "beta", kind: .sync, queued: 0, started: 500, finished: 1000, thread: 1, onPoolThread: true),
        TraceEvent(object: "gamma \"q\"", kind: .future, queued: 100, started: 200, finished: 700, thread: 2, onPoolThread: false),
    ]

    @Test("the timeline has a row per thread, letters by first start, a legend and idle shares")
    func timeline() {
        let text = TraceTimeline.render(Self.events, width: 10)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0] == "thread 1 pool    |AAAAACCCCC| idle 0%")
        #expect(lines[1] == "thread 2 caller  |..BBBBB...| idle 50%")
        #expect(lines[2] == "A = alpha   B = gamma \"q\"   C = beta")
        #expect(lines[3].hasPrefix("time across:"))
    }

    @Test("letters follow the order in which objects first started")
    func letterOrder() {
        let text = TraceTimeline.render(Self.events, width: 10)
        // gamma starts (200) before beta (500), so it is B.
        #expect(text.contains("B = gamma"))
        #expect(text.contains("|AAAAACCCCC|"))
    }

    @Test("no events renders a clear placeholder")
    func empty() {
        #expect(TraceTimeline.render([]) == "(no events)\n")
    }

    @Test("the Chrome JSON parses and has the fields the format needs")
    func chromeJSON() throws {
        let json = ChromeTraceFormat.json(Self.events)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let entries = try #require(object["traceEvents"] as? [[String: Any]])
        let slices = entries.filter { $0["ph"] as? String == "X" }
        let names = entries.filter { $0["ph"] as? String == "M" }
        #expect(slices.count == 3)
        #expect(names.count == 2)
        for slice in slices {
            for field in ["name", "cat", "ts", "dur", "pid", "tid"] {
                #expect(slice[field] != nil, "missing \(field)")
            }
        }
        #expect(slices.contains { $0["name"] as? String == "gamma \"q\"" && ($0["ts"] as? Double) == 0.2 })
        #expect(slices.contains { $0["name"] as? String == "alpha" && ($0["dur"] as? Double) == 0.5 })
    }
}
