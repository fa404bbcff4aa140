/// A text picture of a trace: one row per thread, time across, each object a letter.
///
/// ```
/// thread 1 pool    |AAAAAAAABBBB....| idle 25%
/// thread 2 caller  |....CCCCCCCC....| idle 50%
/// A = counter   B = log   C = worker
/// ```
public enum TraceTimeline {
    /// The letters given to objects, in order of first start.
    static let symbols = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    /// Renders `events` over `width` columns (at least 10). Each cell shows the object that ran
    /// longest within it on that thread, or `.` when the thread was idle.
    public static func render(_ events: [TraceEvent], width: Int = 60) -> String {
        guard !events.isEmpty else { return "(no events)\n" }
        let width = max(10, width)
        let begin = events.map(\.started).min()!
        let end = max(events.map(\.finished).max()!, begin + 1)
        let span = Double(end - begin)

        var letters: [String: Character] = [:]
        var legend: [(Character, String)] = []
        var others = 0
        for event in events.sorted(by: { $0.started < $1.started }) where letters[event.object] == nil {
            // Past the last letter, objects share `#`, and the legend says how many it stands for.
            guard legend.count < symbols.count else {
                letters[event.object] = "#"
                others += 1
                continue
            }
            letters[event.object] = symbols[legend.count]
            legend.append((symbols[legend.count], event.object))
        }
        if others > 0 { legend.append(("#", others == 1 ? "1 other object" : "\(others) other objects")) }

        let threads = Dictionary(grouping: events, by: \.thread).sorted { $0.key < $1.key }
        let waiting = waitingRow(events, begin: begin, span: span, width: width)
        let waitingLabel = "waiting (no thread)"
        let labelWidth = max(
            threads.map { rowLabel(thread: $0.key, events: $0.value).count }.max() ?? 0,
            waiting == nil ? 0 : waitingLabel.count)
        var lines: [String] = []
        for (thread, threadEvents) in threads {
            var occupancy = Array(repeating: [Character: Double](), count: width)
            var busy: UInt64 = 0
            for event in threadEvents {
                busy += event.finished - event.started
                let symbol = letters[event.object]!
                let from = Double(event.started - begin) / span * Double(width)
                let to = Double(event.finished - begin) / span * Double(width)
                var cell = min(Int(from), width - 1)
                // A job shorter than a cell still marks the cell it starts in.
                occupancy[cell][symbol, default: 0] += max(min(to, Double(cell + 1)) - from, 1e-9)
                cell += 1
                while Double(cell) < to && cell < width {
                    occupancy[cell][symbol, default: 0] += min(to, Double(cell + 1)) - Double(cell)
                    cell += 1
                }
            }
            let row = String(occupancy.map { cell in
                cell.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? "."
            })
            let idle = 100 - min(100, Int((Double(busy) / span * 100).rounded()))
            let label = rowLabel(thread: thread, events: threadEvents)
            lines.append(label + String(repeating: " ", count: labelWidth - label.count)
                + "  |" + row + "| idle \(idle)%")
        }
        if let waiting {
            lines.append(waitingLabel + String(repeating: " ", count: labelWidth - waitingLabel.count) + "  |" + waiting + "|")
            legend.append((Self.waitingSymbol, "a job waiting: it holds its object, no thread"))
        }
        lines.append(legend.map { "\($0.0) = \($0.1)" }.joined(separator: "   "))
        let milliseconds = Double(end - begin) / 1e6
        lines.append("time across: \(formatted(milliseconds)) ms")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Marks the time a suspended job waited before a slice that resumed it.
    static let waitingSymbol: Character = "~"

    /// A row with `~` wherever some job was suspended; nil when none was.
    private static func waitingRow(_ events: [TraceEvent], begin: UInt64, span: Double, width: Int) -> String? {
        let waits = events.filter { $0.resumes && $0.started > $0.queued }
        guard !waits.isEmpty else { return nil }
        var row = Array(repeating: Character("."), count: width)
        for event in waits {
            let from = Double(event.queued > begin ? event.queued - begin : 0) / span * Double(width)
            let to = Double(event.started - begin) / span * Double(width)
            var cell = min(Int(from), width - 1)
            repeat {
                row[cell] = waitingSymbol
                cell += 1
            } while Double(cell) < to && cell < width
        }
        return String(row)
    }

    private static func rowLabel(thread: Int, events: [TraceEvent]) -> String {
        let pool = events.contains { $0.onPoolThread }
        let caller = events.contains { !$0.onPoolThread }
        let role = pool && caller ? "pool+caller" : pool ? "pool" : "caller"
        return "thread \(thread) \(role)"
    }

    private static func formatted(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return String(tenths)
    }
}
