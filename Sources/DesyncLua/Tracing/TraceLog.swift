import Desync
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A runtime's trace: the scheduler's events, gathered as they are asked for, and kept after
/// `stop` so they can still be saved or drawn.
final class TraceLog: Sendable {
    private let tracer: Tracer
    private let events = NIOLockedValueBox<[TraceEvent]>([])

    init(tracer: Tracer) {
        self.tracer = tracer
    }

    var isOn: Bool { tracer.isOn }

    func start() {
        events.withLockedValue { $0.removeAll() }
        tracer.start()
    }

    /// Stops tracing; returns every event of this trace.
    func stop() -> [TraceEvent] {
        let last = tracer.stop()
        return events.withLockedValue { events in
            events.append(contentsOf: last)
            return events
        }
    }

    /// Every event recorded so far (tracing goes on if it was on). Jobs running now are in it
    /// as still running; they are kept once they have finished.
    var recorded: [TraceEvent] {
        let recent = tracer.takeEvents()
        return events.withLockedValue { events in
            events.append(contentsOf: recent.lazy.filter { !$0.stillRunning })
            return events + recent.lazy.filter(\.stillRunning)
        }
    }

    /// Writes the trace so far as Chrome Trace Event JSON. Returns an error message on failure.
    func save(to path: String) -> String? {
        let json = ChromeTraceFormat.json(recorded)
        guard let file = fopen(path, "w") else {
            return "\(path): \(String(cString: strerror(errno)))"
        }
        let written = json.utf8CString.withUnsafeBufferPointer { buffer in
            fwrite(buffer.baseAddress, 1, buffer.count - 1, file)
        }
        let closed = fclose(file)
        guard written == json.utf8.count, closed == 0 else {
            return "\(path): \(String(cString: strerror(errno)))"
        }
        return nil
    }
}
