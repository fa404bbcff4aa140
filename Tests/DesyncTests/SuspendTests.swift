import Synchronization
import Testing

@testable import Desync

/// Jobs that suspend (`suspendRunningJob`), timers, the wait-for graph: the core of issue 14.
@Suite("Suspended jobs, timers and the wait-for graph")
struct SuspendTests {
    /// A log that jobs of one object append to (only that object's jobs touch it).
    final class Log: @unchecked Sendable {
        var entries: [String] = []
    }

    @Test("a suspended job holds its queue, no thread; later jobs wait; it resumes in order", arguments: [0, 1, 4])
    func suspendedJobKeepsOrder(threads: Int) throws {
        for _ in 0..<20 {
            let scheduler = Scheduler(maxThreads: threads)
            let object = Desync(Log(), scheduler: scheduler)
            let gate = SyncCompletion()
            object.async { log in
                log.entries.append("first")
                object.suspendRunningJob(until: gate, kind: .async) { log in log.entries.append("first, resumed") }
            }
            object.async { log in log.entries.append("second") }
            let other = Desync(0, scheduler: scheduler)
            if threads > 0 {
                #expect(eventually { object.pending == 2 && scheduler.stats.suspendedJobs == 1 })
                // The only pool thread is free: another object's job runs meanwhile.
                #expect(try other.future { $0 + 1 }.wait(timeout: .seconds(10)) == 1)
                #expect(object.trySync { _ in true } == nil, "the suspended job holds the queue")
            }
            gate.open()
            let log = try object.future { $0.entries }.wait(timeout: .seconds(10))
            #expect(log == ["first", "first, resumed", "second"])
            #expect(scheduler.stats.suspendedJobs == 0)
            // A pool thread adds its counts at the end of its turn, after the result is out.
            #expect(eventually { scheduler.stats.jobsRunByKind[.async] == 2 }, "a resumed slice is not a job of its own")
            #expect(scheduler.stats.jobsRunByKind[.async] == 2)
        }
    }

    @Test("a sync that suspends leaves its rest at the head of the queue")
    func inlineSyncSuspends() throws {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync(Log(), scheduler: scheduler)
        let gate = SyncCompletion()
        object.sync { log in
            log.entries.append("sync")
            object.suspendRunningJob(until: gate, kind: .sync) { log in log.entries.append("sync, resumed") }
        }
        object.async { log in log.entries.append("after") }
        #expect(object.pending == 2)
        gate.open()
        #expect(try object.future { $0.entries }.wait(timeout: .seconds(10)) == ["sync", "sync, resumed", "after"])
    }

    @Test("a job may suspend again from its continuation; a gate open already resumes at once")
    func suspendsTwice() throws {
        let scheduler = Scheduler(maxThreads: 1)
        let object = Desync(Log(), scheduler: scheduler)
        let first = SyncCompletion(), second = SyncCompletion()
        let open = SyncCompletion()
        open.open()
        object.async { log in
            log.entries.append("1")
            object.suspendRunningJob(until: first, kind: .async) { log in
                log.entries.append("2")
                object.suspendRunningJob(until: second, kind: .async) { log in
                    log.entries.append("3")
                    object.suspendRunningJob(until: open, kind: .async) { log in log.entries.append("4") }
                }
            }
        }
        first.open()
        #expect(eventually { scheduler.stats.suspendedJobs == 1 && object.pending == 1 })
        second.open()
        #expect(try object.future { $0.entries }.wait(timeout: .seconds(10)) == ["1", "2", "3", "4"])
    }

    @Test("timers fire in deadline order, each after its deadline, with no thread per timer")
    func timersFireInOrder() throws {
        let scheduler = Scheduler(maxThreads: 0)
        let order = Desync([Int](), scheduler: Scheduler(maxThreads: 0))
        let start = ContinuousClock.now
        let delays = [60, 20, 40, 0, 20]
        var timers: [DesyncTimer] = []
        for (index, delay) in delays.enumerated() {
            let timer = DesyncTimer(deadline: start + .milliseconds(delay), queue: scheduler.timers)
            let fired = timer.onDone {
                // An early firing shows as a negative entry.
                let late = ContinuousClock.now >= start + .milliseconds(delay)
                order.async { $0.append(late ? index : -1 - index) }
            }
            #expect(fired || delay == 0)
            if !fired { order.async { $0.append(index) } }
            timers.append(timer)
        }
        #expect(scheduler.stats.timersPending <= delays.count)
        for timer in timers {
            #expect(BlockingWait.wait(for: timer, until: .now + .seconds(10)) == .done)
        }
        // A timer is done (and wakes its waiters) before its callbacks have run, and counts as
        // pending until they have: the timer thread may still be in the last one's (CI saw 1).
        #expect(eventually { scheduler.stats.timersPending == 0 })
        // A timer wakes its waiters before it runs its callbacks: the last one may still be on
        // its way.
        #expect(eventually { order.sync { $0.count } == delays.count })
        #expect(order.sync { $0 } == [3, 1, 4, 2, 0])
    }

    @Test("FirstOf is reached by any of its targets")
    func firstOf() {
        let a = SyncCompletion(), b = SyncCompletion()
        let either = FirstOf([a, b])
        #expect(!either.isDone)
        let called = SyncCompletion()
        #expect(either.onDone { called.open() })
        b.open()
        #expect(either.isDone && called.isDone)
        #expect(!either.onDone {}, "reached already")
    }

    @Test("the wait-for graph refuses the wait that closes a cycle, and names it")
    func waitGraph() throws {
        let scheduler = Scheduler(maxThreads: 0)
        let a = Desync(0, label: "A", scheduler: scheduler)
        let b = Desync(0, label: "B", scheduler: scheduler)
        let c = Desync(0, label: "C", scheduler: scheduler)
        func cycle(_ result: Result<WaitGraph.Edge, WaitGraph.Cycle>) -> String? {
            if case .failure(let cycle) = result { cycle.description } else { nil }
        }
        let ab = try WaitGraph.enter(a.waitNode, waitsFor: b.waitNode).get()
        let bc = try WaitGraph.enter(b.waitNode, waitsFor: c.waitNode).get()
        #expect(cycle(WaitGraph.enter(c.waitNode, waitsFor: a.waitNode)) == "job on C waits for A, job on A waits for B, job on B waits for C")
        bc.leave()
        bc.leave()  // a second leave does nothing
        let ca = try WaitGraph.enter(c.waitNode, waitsFor: a.waitNode).get()  // B no longer waits: no cycle
        #expect(cycle(WaitGraph.enter(b.waitNode, waitsFor: b.waitNode)) == "job on B waits for B")
        // A queue that waits for two others (a job running another object's sync inline, which
        // waits in turn): a cycle through either edge is seen.
        ca.leave()
        let ac = try WaitGraph.enter(a.waitNode, waitsFor: c.waitNode).get()
        #expect(cycle(WaitGraph.enter(c.waitNode, waitsFor: a.waitNode)) == "job on C waits for A, job on A waits for C")
        ac.leave()
        ab.leave()
        let free = try WaitGraph.enter(c.waitNode, waitsFor: a.waitNode).get()
        free.leave()
    }

    @Test("a cycle of Swift syncs on two threads stops the program naming it, instead of hanging")
    func crossThreadSyncCycle() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let scheduler = Scheduler(maxThreads: 2)
            let a = Desync(0, label: "first", scheduler: scheduler)
            let b = Desync(0, label: "second", scheduler: scheduler)
            let started = Atomic<Int>(0)
            @Sendable func meet() {
                started.add(1, ordering: .relaxed)
                let deadline = ContinuousClock.now + .seconds(5)
                while started.load(ordering: .relaxed) < 2, ContinuousClock.now < deadline {}
            }
            a.async { _ in meet(); b.sync { _ in } }
            b.async { _ in meet(); a.sync { _ in } }
            _ = Parker().park(until: .now + .seconds(10))
            // Not reached when the cycle is seen: the process stops first.
        }
        let stderr = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(stderr.contains("deadlock: job on"), "\(stderr)")
        #expect(stderr.contains("first") && stderr.contains("second"), "\(stderr)")
    }
}
