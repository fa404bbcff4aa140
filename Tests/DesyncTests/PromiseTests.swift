import Foundation
import Synchronization
import Testing

@testable import Desync

@Suite("DesyncPromise: a future completed by hand")
struct PromiseTests {
    @Test("a completed promise's future reports its value through wait, result and outcome")
    func completeThenWait() throws {
        let promise = DesyncPromise<Int>()
        #expect(promise.succeed(7))
        #expect(try promise.future.wait() == 7)
        #expect(try promise.future.wait(timeout: .milliseconds(10)) == 7)
        #expect(try promise.future.result.get() == 7)
        #expect(promise.future.status == .done)
        #expect(promise.future.isDone)
    }

    @Test("until completed the future is running, and a wait with a timeout times out")
    func waitTimesOut() throws {
        let promise = DesyncPromise<Int>()
        #expect(promise.future.status == .running)
        #expect(!promise.future.isDone)
        #expect(promise.future.outcome == nil)
        let start = ContinuousClock.now
        #expect(try promise.future.wait(timeout: .milliseconds(50)) == nil)
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        #expect(promise.future.status == .running)
        promise.succeed(1)
        #expect(try promise.future.wait(timeout: .seconds(10)) == 1)
    }

    @Test("await value suspends until the promise is completed")
    func awaitValue() async throws {
        let promise = DesyncPromise<String>()
        let task = Task { try await promise.future.value }
        try await Task.sleep(for: .milliseconds(20))
        #expect(!promise.future.isDone)
        promise.succeed("kept")
        #expect(try await task.value == "kept")
    }

    @Test("a failed promise makes wait and value throw its error")
    func failurePropagates() async {
        let promise = DesyncPromise<Int>()
        #expect(promise.fail(TestError(code: 4)))
        #expect(throws: TestError(code: 4)) { try promise.future.wait() }
        await #expect(throws: TestError(code: 4)) { try await promise.future.value }
        #expect(promise.future.status == .failed)
    }

    @Test("the first completion wins; later ones change nothing")
    func completesOnce() throws {
        let promise = DesyncPromise<Int>()
        #expect(promise.succeed(1))
        #expect(!promise.succeed(2))
        #expect(!promise.fail(TestError(code: 1)))
        #expect(!promise.complete(with: .success(3)))
        #expect(try promise.future.wait() == 1)
    }

    @Test("cancel before completion returns false and leaves the promise to complete")
    func cancelBeforeCompletion() throws {
        let promise = DesyncPromise<Int>()
        #expect(!promise.future.cancel())
        #expect(promise.future.status == .running)
        #expect(promise.succeed(5))
        #expect(!promise.future.cancel())
        #expect(try promise.future.wait(timeout: .seconds(10)) == 5)
        #expect(promise.future.status == .done)
    }

    @Test("completing from another thread wakes a thread blocked in wait(timeout:)")
    func completeAcrossThreads() throws {
        for round in 0..<200 {
            let promise = DesyncPromise<Int>()
            Thread.detach {
                usleep(UInt32(round % 7) * 100)
                promise.succeed(round)
            }
            #expect(try promise.future.wait(timeout: .seconds(10)) == round)
        }
    }

    @Test("completing from another thread wakes a thread blocked in wait() without a deadline")
    func completeAcrossThreadsUntimed() {
        for round in 0..<200 {
            let promise = DesyncPromise<Int>()
            let seen = Atomic<Int>(-1)
            let returned = Latch()
            // The untimed wait runs on its own thread, so that this test's own wait is bounded.
            Thread.detach {
                seen.store((try? promise.future.wait()) ?? -2, ordering: .relaxed)
                returned.open()
            }
            usleep(UInt32(round % 7) * 100)
            promise.succeed(round)
            #expect(returned.wait())
            #expect(seen.load(ordering: .relaxed) == round)
        }
    }

    @Test("after on a promise's future runs once the promise is completed", arguments: [0, 2])
    func afterPromise(threads: Int) throws {
        let scheduler = Scheduler(maxThreads: threads)
        for round in 0..<50 {
            let promise = DesyncPromise<Int>()
            let object = Desync([Int](), scheduler: scheduler)
            let chained = object.after(promise.future) { log, outcome in
                log.append(try outcome.get())
                return log
            }
            object.async { $0.append(-1) }
            // With pool threads the queue stays paused; with none, this wait runs it up to the
            // `after` and then sleeps on the promise.
            #expect(try chained.wait(timeout: .milliseconds(5)) == nil)
            #expect(object.pending == 2)
            let completer = Latch()
            Thread.detach {
                usleep(UInt32(round % 5) * 200)
                promise.succeed(round)
                completer.open()
            }
            #expect(try chained.wait(timeout: .seconds(10)) == [round])
            #expect(completer.wait())
            let log = try object.future { $0 }.wait(timeout: .seconds(10))
            #expect(log == [round, -1])
        }
    }

    @Test("with 0 threads, a wait on the object behind an after runs the promise's helper")
    func helperDrivesWithZeroThreads() throws {
        let scheduler = Scheduler(maxThreads: 0)
        let worker = Desync(0, scheduler: scheduler)
        let waiter = Desync(0, scheduler: scheduler)
        // The work that completes the promise is queued on `worker`, which nothing runs but the
        // helper.
        let promise = DesyncPromise<Int>(driver: ClosureDriver {
            guard worker.pending > 0 else { return false }
            worker.sync { _ in }
            return true
        })
        for _ in 0..<3 { worker.async { $0 += 1 } }
        worker.async { count in promise.succeed(count) }
        let chained = waiter.after(promise.future) { _, outcome in try outcome.get() * 10 }
        #expect(try chained.wait(timeout: .seconds(10)) == 30)
        #expect(try promise.future.wait(timeout: .seconds(10)) == 3)
    }

    @Test("a wait with a helper still returns at its deadline")
    func helperRespectsDeadline() throws {
        let calls = Atomic<Int>(0)
        let promise = DesyncPromise<Int>(driver: ClosureDriver {
            calls.add(1, ordering: .relaxed)
            return false
        })
        let start = ContinuousClock.now
        #expect(try promise.future.wait(timeout: .milliseconds(120)) == nil)
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(120) && elapsed < .seconds(5))
        // Called before the first sleep, and again after each sleep of at most 50 ms.
        #expect(calls.load(ordering: .relaxed) >= 2)
    }

    @Test("a pool thread blocked on a promise lends its place, so the job that completes it runs")
    func poolThreadWaitsOnPromise() throws {
        let scheduler = Scheduler(maxThreads: 1)
        let waiter = Desync(0, scheduler: scheduler)
        let completer = Desync(0, scheduler: scheduler)
        let promise = DesyncPromise<Int>()
        let waiting = Latch()
        let waited = waiter.future { _ in
            waiting.open()
            return try promise.future.wait(timeout: .seconds(10))
        }
        // Queued once the only pool thread is in the job above, about to block.
        #expect(waiting.wait())
        completer.async { _ in promise.succeed(8) }
        #expect(try waited.wait(timeout: .seconds(10)) == 8)
    }
}

@Suite("after, cancelled while it waits")
struct CancelledAfterTests {
    @Test("cancelling an after job that waits ends the pause: the queue skips it and goes on", arguments: [0, 2])
    func cancelledAfterReleasesTheQueue(threads: Int) throws {
        for _ in 0..<20 {
            let scheduler = Scheduler(maxThreads: threads)
            defer { scheduler.shutdown(timeout: .seconds(10)) }
            let object = Desync([String](), scheduler: scheduler)
            let never = DesyncPromise<Int>()
            let later = object.after(never.future) { log, _ in log.append("after") }
            object.async { $0.append("behind") }
            #expect(later.cancel())
            // Bounded: with 0 threads the wait runs the queue itself.
            let log = try object.future { $0 }.wait(timeout: .seconds(5))
            #expect(log == ["behind"])
            // A pool thread may still be giving the queue up just after the last job's result.
            #expect(eventually(seconds: 5) { object.pending == 0 })
            #expect(later.status == .cancelled)
        }
    }

    @Test("a caller waiting behind the paused job is let through by the cancellation")
    func waiterBehindIsReleased() throws {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
        let never = DesyncPromise<Int>()
        let later = object.after(never.future) { value, _ in value += 100 }
        let behind = object.future { value -> Int in value += 1; return value }
        let canceller = Foundation.Thread {
            Foundation.Thread.sleep(forTimeInterval: 0.1)
            later.cancel()
        }
        canceller.start()
        // This thread helps the paused queue (the never-completed promise) until the cancel.
        #expect(try behind.wait(timeout: .seconds(5)) == 1)
    }
}

/// A driver that runs a closure: true when it ran something; false, and the waiter polls (it
/// cannot announce new work).
private final class ClosureDriver: WaitDriver {
    private let body: @Sendable () -> Bool

    init(_ body: @escaping @Sendable () -> Bool) {
        self.body = body
    }

    func drive(toward target: any Waitable, limits: WaitLimits, parker: Parker) -> DriveStep {
        body() ? .ran : .poll
    }
}
