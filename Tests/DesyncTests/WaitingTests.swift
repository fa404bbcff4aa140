import Synchronization
import Testing

@testable import Desync

/// The one blocking wait (`Waiting/`): chains of any length, deadlines kept, exact pending counts.
@Suite("Waiting: chains, deadlines, pending")
struct WaitingTests {
    /// Runs `body` on a pool thread of its own (8 MiB of stack, like a main thread): the point is
    /// that the waits inside need no stack per link. Fails instead of hanging.
    private func onThread(seconds: Double = 60, _ body: @escaping @Sendable () -> Void) -> Bool {
        let finished = Latch()
        Desync(0, scheduler: Scheduler(maxThreads: 1)).async { _ in
            body()
            finished.open()
        }
        return finished.wait(seconds: seconds)
    }

    @Test("wait() on the last of a long after chain, each link on its own object, needs no stack per link", arguments: [(0, 10_000), (4, 20_000)])
    func longAfterChain(threads: Int, links: Int) {
        let finished = onThread {
            let scheduler = Scheduler(maxThreads: 0)
            var last = Desync(0, scheduler: scheduler).future { _ in 1 }
            for _ in 1..<links {
                last = Desync(0, scheduler: scheduler).after(last) { _, previous in try previous.get() + 1 }
            }
            scheduler.maxThreads = threads
            #expect((try? last.wait()) == links)
        }
        #expect(finished)
    }

    @Test("a timed wait leaves a queued job to the pool when a pool thread can run it", .timeLimit(.minutes(1)))
    func timedWaitLeavesJobToPool() throws {
        let scheduler = Scheduler(maxThreads: 1)
        let blocker = Desync(0, scheduler: scheduler)
        let started = Latch()
        blocker.async { _ in
            started.open()
            usleep(800_000)
        }
        #expect(started.wait())
        let slow = Desync(0, scheduler: scheduler)
        let future = slow.future { _ -> Int in
            usleep(600_000)
            return 1
        }
        let start = ContinuousClock.now
        #expect(try future.wait(timeout: .milliseconds(100)) == nil)
        #expect(ContinuousClock.now - start < .milliseconds(500))
        #expect(try future.wait() == 1)
    }

    @Test("with 0 threads a timed wait runs queued jobs only while time remains", .timeLimit(.minutes(1)))
    func timedWaitStopsBetweenJobs() throws {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
        for _ in 0..<5 { object.async { $0 += 1; usleep(150_000) } }
        let future = object.future { $0 }
        let start = ContinuousClock.now
        #expect(try future.wait(timeout: .milliseconds(200)) == nil)
        let took = ContinuousClock.now - start
        // The jobs started before the deadline ran to their end: two of them.
        #expect(took >= .milliseconds(200) && took < .milliseconds(600))
        #expect(object.pending >= 3)
        #expect(try future.wait() == 5)
    }

    @Test("pending does not count a job whose result was delivered", arguments: [1, 2, 4])
    func pendingAfterResult(threads: Int) throws {
        let object = Desync(0, scheduler: Scheduler(maxThreads: threads))
        for round in 0..<2_000 {
            object.async { $0 += 1 }
            _ = try object.future { $0 }.wait()
            #expect(object.pending == 0, "round \(round)")
            object.async { $0 += 1 }
            _ = object.sync { $0 }
            #expect(object.pending == 0, "round \(round)")
            if object.pending != 0 { break }
        }
    }

    @Test("a wait that is stopped returns .stopped; one that times out returns .timedOut")
    func stoppedAndTimedOut() {
        let promise = DesyncPromise<Int>()
        let stopAt = ContinuousClock.now + .milliseconds(120)
        #expect(promise.future.wait(until: nil, stop: { ContinuousClock.now >= stopAt }) == .stopped)
        #expect(promise.future.wait(until: .now + .milliseconds(50), stop: nil) == .timedOut)
        promise.succeed(1)
        #expect(promise.future.wait(until: nil, stop: nil) == .done)
    }
}
