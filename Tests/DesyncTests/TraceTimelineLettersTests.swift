import Testing

@testable import Desync

@Suite("Trace timeline with more objects than letters")
struct TraceTimelineLettersTests {
    @Test("objects past the 62nd share # and the legend says how many it stands for")
    func manyObjects() {
        var events: [TraceEvent] = []
        for index in 0..<70 {
            let start = UInt64(index) * 10
            events.append(TraceEvent(object: "obj\(index)", kind: .async, queued: 0, started: start,
                                     finished: start + 10, thread: 1, onPoolThread: true))
        }
        let text = TraceTimeline.render(events, width: 70)
        let legend = text.split(separator: "\n").map(String.init).dropLast().last ?? ""
        #expect(legend.hasPrefix("A = obj0   B = obj1"))
        #expect(legend.contains("9 = obj61"))
        #expect(legend.hasSuffix("   # = 8 other objects"))
        #expect(!legend.contains("obj62"))
        #expect(text.contains("#"))
    }
}
