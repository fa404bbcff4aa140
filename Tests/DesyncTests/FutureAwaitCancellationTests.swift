import Synchronization
import Testing

@testable import Desync

/// `await future.value` and the cancellation of the task that awaits.
@Suite("await value and task cancellation")
struct FutureAwaitCancellationTests {
    /// How an await ended, set by the awaiting task.
    private final class Ending: Sendable {
        private let outcome = TestLock<Result<Int, any Error>?>(nil)
        func set(_ result: Result<Int, any Error>) { outcome.withLock { $0 = result } }
        var current: Result<Int, any Error>? { outcome.withLock { $0 } }
    }

    /// Polls `condition` for up to `seconds`, suspending between looks: the tests wait for a task
    /// of their own, which needs a cooperative thread, so they must not block one themselves (side
    /// by side with tests that block, both of a 2-core machine's threads would be taken).
    private func eventuallyAsync(seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return condition()
    }

    @Test("cancelling the awaiting task ends the await at once with CancellationError; the job still runs")
    func cancelWhileAwaiting() async throws {
        for _ in 0..<20 {
            // The job waits for a gate that stays closed until after the await ended (an await
            // runs a ready queue itself, so a plain queued job would just run).
            let object = Desync(1, scheduler: Scheduler(maxThreads: 0))
            let gate = DesyncPromise<Int>()
            let future = object.after(gate.future) { value, _ in value * 2 }
            let ending = Ending()
            let task = Task {
                do { ending.set(.success(try await future.value)) } catch { ending.set(.failure(error)) }
            }
            try await Task.sleep(for: .milliseconds(1))
            task.cancel()
            #expect(await eventuallyAsync { ending.current != nil })
            #expect(throws: CancellationError.self) { try ending.current?.get() }
            // The await's cancellation is not the job's: it runs when its queue does.
            #expect(!future.isDone)
            gate.succeed(0)
            #expect(try future.wait(timeout: .seconds(5)) == 2)
        }
    }

    @Test("a task cancelled before it awaits throws at once")
    func cancelledBeforeAwaiting() async throws {
        let object = Desync(1, scheduler: Scheduler(maxThreads: 0))
        let future = object.future { $0 }
        let ending = Ending()
        Task {
            withUnsafeCurrentTask { $0?.cancel() }
            do { ending.set(.success(try await future.value)) } catch { ending.set(.failure(error)) }
        }
        #expect(await eventuallyAsync { ending.current != nil })
        #expect(throws: CancellationError.self) { try ending.current?.get() }
        #expect(future.status == .pending)
        // Lets an await that missed the cancellation end.
        _ = try future.wait(timeout: .seconds(5))
    }

    @Test("a cancelled task awaiting a finished future gets its value")
    func cancelledButDone() async throws {
        let object = Desync(1, scheduler: Scheduler(maxThreads: 0))
        let future = object.future { $0 + 1 }
        _ = try future.wait()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await future.value
        }
        #expect(try await task.value == 2)
    }

    @Test("cancellation racing the job's end resumes each await exactly once")
    func cancellationRacesCompletion() async throws {
        let scheduler = Scheduler(maxThreads: 2)
        defer { scheduler.shutdown(timeout: .seconds(10)) }
        let object = Desync(0, scheduler: scheduler)
        var values = 0
        var cancellations = 0
        for round in 0..<300 {
            let future = object.future { value -> Int in value += 1; return value }
            let task = Task { try await future.value }
            if round % 2 == 0 { await Task.yield() }
            task.cancel()
            switch await task.result {
            case .success(let value):
                #expect(value == round + 1)
                values += 1
            case .failure(let error):
                #expect(error is CancellationError)
                cancellations += 1
            }
        }
        #expect(values + cancellations == 300)
        #expect(object.sync { $0 } == 300)
    }
}
