import Testing

@testable import Desync

@Suite("Tracing and statistics")
struct TracingTests {
    @Test("a trace of 2 objects x 3 jobs has exactly the expected events, in per-object order",
          arguments: [0, 2])
    func knownTrace(threads: Int) throws {
        let scheduler = Scheduler(maxThreads: threads)
        let first = Desync(0, label: "first", scheduler: scheduler)
        let second = Desync(0, label: "second", scheduler: scheduler)
        scheduler.tracing.start()
        first.async { $0 += 1 }
        second.async { $0 += 1 }
        let future = first.future { $0 }
        second.async { $0 += 1 }
        first.sync { $0 += 1 }
        second.sync { $0 += 1 }
        _ = try future.wait()
        let events = scheduler.tracing.stop()
        #expect(events.count == 6)
        let firstKinds = events.filter { $0.object == "first" }.map(\.kind)
        let secondKinds = events.filter { $0.object == "second" }.map(\.kind)
        #expect(firstKinds == [.async, .future, .sync])
        #expect(secondKinds == [.async, .async, .sync])
        for event in events {
            #expect(event.queued <= event.started && event.started <= event.finished)
            #expect(event.thread > 0)
        }
        if threads == 0 {
            #expect(events.allSatisfy { !$0.onPoolThread })
            #expect(Set(events.map(\.thread)).count == 1)
        }
    }

    @Test("tracing off adds no events")
    func offAddsNothing() {
        let scheduler = Scheduler(maxThreads: 1)
        let object = Desync(0, label: "quiet", scheduler: scheduler)
        for _ in 0..<100 { object.async { $0 += 1 } }
        _ = object.sync { $0 }
        scheduler.tracing.start()
        #expect(scheduler.tracing.stop().isEmpty)
        #expect(!scheduler.tracing.isOn)
        object.sync { $0 += 1 }
        #expect(scheduler.tracing.takeEvents().isEmpty)
    }

    @Test("stats count jobs by kind and those run by waiting callers")
    func statsByKind() throws {
        let scheduler = Scheduler(maxThreads: 0)
        let object = Desync(0, scheduler: scheduler)
        object.async { $0 += 1 }
        object.async { $0 += 1 }
        let future = object.future { $0 }
        object.sync { $0 += 1 }
        _ = try future.wait()
        let stats = scheduler.stats
        #expect(stats.jobsRun == 4)
        #expect(stats.jobsRunByKind[.async] == 2)
        #expect(stats.jobsRunByKind[.future] == 1)
        #expect(stats.jobsRunByKind[.sync] == 1)
        // With 0 pool threads every job ran on the caller's thread.
        #expect(stats.jobsRunByCallers == 4)
    }

    @Test("an object of an empty type works (its value has an address of its own)")
    func emptyValue() {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync((), scheduler: scheduler)
        let counter = Desync(0, scheduler: scheduler)
        for _ in 0..<200 {
            object.async { _ in counter.async { $0 += 1 } }
        }
        object.sync { _ in }
        #expect(eventually { counter.sync { $0 } == 200 })
    }
}
