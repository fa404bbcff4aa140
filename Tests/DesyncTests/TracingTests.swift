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

    @Test("a job whose result the caller has seen is in a trace taken right after", arguments: [1, 2])
    func seenJobIsInTheTrace(threads: Int) throws {
        let scheduler = Scheduler(maxThreads: threads)
        let object = Desync(0, label: "seen", scheduler: scheduler)
        // The pool thread completes the future before it can note the job's end: the take in
        // between must still find the job (it missed it in some of these rounds before).
        for round in 1...300 {
            scheduler.tracing.start()
            let future = object.future { value -> Int in
                value += 1
                return value
            }
            #expect(try future.wait(timeout: .seconds(10)) == round)
            let taken = scheduler.tracing.takeEvents()
            #expect(taken.contains { $0.object == "seen" && $0.kind == .future }, "round \(round)")
            let stopped = scheduler.tracing.stop()
            #expect(taken.count + stopped.filter { !$0.stillRunning }.count >= 1)
        }
    }

    @Test("a job running when the trace stops ends there, flagged; its end is not in a later trace")
    func runningJobAtStop() throws {
        let scheduler = Scheduler(maxThreads: 1)
        let object = Desync(0, label: "long", scheduler: scheduler)
        let started = Latch()
        let release = Latch()
        scheduler.tracing.start()
        let future = object.future { _ in
            started.open()
            _ = release.wait()
        }
        #expect(started.wait())
        let drawn = scheduler.tracing.takeEvents()
        #expect(drawn.count == 1 && drawn[0].stillRunning)
        let events = scheduler.tracing.stop()
        #expect(events.count == 1)
        #expect(events.first?.stillRunning == true)
        #expect(events.first.map { $0.started <= $0.finished } == true)
        scheduler.tracing.start()
        release.open()
        try future.wait()
        object.sync { _ in }
        let next = scheduler.tracing.stop()
        #expect(next.map(\.kind) == [.sync], "the earlier job's end does not land in this trace")
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
