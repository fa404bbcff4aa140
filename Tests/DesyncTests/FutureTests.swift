import Synchronization
import Testing

@testable import Desync

@Suite("Futures and after")
struct FutureTests {
    @Test("a future reports its value through wait, result and await")
    func futureValue() async throws {
        let object = Desync(20, scheduler: Scheduler(maxThreads: 2))
        let future = object.future { $0 + 1 }
        #expect(try await future.value == 21)
        #expect(try future.wait() == 21)
        #expect(try future.result.get() == 21)
        #expect(future.status == .done)
        #expect(future.isDone)
    }

    @Test("await value suspends until a job on a pool thread finishes")
    func awaitFromTask() async throws {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync(0, scheduler: scheduler)
        let release = Latch()
        object.async { _ in _ = release.wait() }
        let future = object.future { $0 + 5 }
        let task = Task { try await future.value }
        #expect(!future.isDone)
        release.open()
        #expect(try await task.value == 5)
    }

    @Test("a job that throws makes wait and value throw its error, and result report it")
    func futureErrors() async {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 1))
        let future = object.future { _ -> Int in throw TestError(code: 3) }
        #expect(throws: TestError(code: 3)) { try future.wait() }
        await #expect(throws: TestError(code: 3)) { try await future.value }
        #expect(future.status == .failed)
        if case .failure(let error) = future.result {
            #expect(error as? TestError == TestError(code: 3))
        } else {
            Issue.record("expected a failure")
        }
    }

    @Test("cancel stops a job that has not started, and not one that has")
    func cancel() {
        let scheduler = Scheduler(maxThreads: 0)
        let ran = Atomic<Int>(0)
        let object = Desync(0, scheduler: scheduler)
        let cancelled = object.future { _ in ran.add(1, ordering: .relaxed) }
        let kept = object.future { _ in ran.add(10, ordering: .relaxed) }
        #expect(cancelled.status == .pending)
        #expect(cancelled.cancel())
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.isDone)
        #expect(throws: CancellationError.self) { try cancelled.wait() }
        #expect(throws: Never.self) { try kept.wait() }
        #expect(ran.load(ordering: .relaxed) == 10)
        #expect(!kept.cancel())
        #expect(kept.status == .done)
    }

    @Test("wait with a timeout returns nil while the job cannot run")
    func waitTimeout() throws {
        let scheduler = Scheduler(maxThreads: 1)
        let object = Desync(0, scheduler: scheduler)
        let release = Latch()
        let started = Latch()
        object.async { _ in
            started.open()
            _ = release.wait()
        }
        // Once a pool thread runs the blocked job, this thread cannot take the queue over.
        #expect(started.wait())
        let future = object.future { _ in 9 }
        let start = ContinuousClock.now
        #expect(try future.wait(timeout: .milliseconds(50)) == nil)
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        release.open()
        #expect(try future.wait(timeout: .seconds(10)) == 9)
    }

    @Test("after: the job runs once the future is done, and jobs queued later wait behind it",
          arguments: [0, 2])
    func afterOrdering(threads: Int) throws {
        for _ in 0..<50 {
            let scheduler = Scheduler(maxThreads: threads)
            let source = Desync(0, scheduler: scheduler)
            let log = Desync([String](), scheduler: scheduler)
            let sourceMayRun = Latch()
            let first = source.future { _ -> String in
                if threads > 0 { _ = sourceMayRun.wait() }
                return "f"
            }
            let second = log.after(first) { log, outcome -> Int in
                log.append("j1:" + ((try? outcome.get()) ?? "error"))
                return log.count
            }
            log.async { $0.append("j2") }
            sourceMayRun.open()
            // With 0 threads nothing drives `first` but this wait; the log stays paused meanwhile.
            #expect(try first.wait() == "f")
            #expect(try second.wait(timeout: .seconds(10)) == 1)
            #expect(log.sync { $0 } == ["j1:f", "j2"])
        }
    }

    @Test("after a failed future, the job receives the error")
    func afterFailure() throws {
        let scheduler = Scheduler(maxThreads: 2)
        let source = Desync(0, scheduler: scheduler)
        let target = Desync(0, scheduler: scheduler)
        let failing = source.future { _ -> Int in throw TestError(code: 5) }
        let observed = target.after(failing) { _, outcome -> Int in
            switch outcome {
            case .success: 0
            case .failure(let error): (error as? TestError)?.code ?? -1
            }
        }
        #expect(try observed.wait() == 5)
    }

    @Test("a paused queue holds no thread: other objects keep running on a 1-thread pool")
    func afterHoldsNoThread() throws {
        let scheduler = Scheduler(maxThreads: 1)
        let gateKeeper = Desync(0, scheduler: scheduler)
        let paused = Desync(0, scheduler: scheduler)
        let release = Latch()
        // `first` cannot finish until released from outside; the paused queue must not keep the
        // pool's only thread while it waits.
        let blocker = Desync(0, scheduler: Scheduler(maxThreads: 1))
        let first = blocker.future { _ in _ = release.wait(); return 1 }
        let afterJob = paused.after(first) { value, _ in value += 1; return value }
        let other = gateKeeper.future { _ in 7 }
        #expect(try other.wait(timeout: .seconds(10)) == 7)
        #expect(!afterJob.isDone)
        release.open()
        #expect(try afterJob.wait(timeout: .seconds(10)) == 1)
    }
}
