import Testing

@testable import Desync

/// Polls `condition` for up to `seconds`, suspending between looks, so that a test waiting for
/// its own tasks never blocks a thread of Swift's cooperative pool.
func awaitEventually(seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return condition()
}

/// The outcome of a task, read by a test that must not wait on it without a bound.
final class TaskOutcome<Value: Sendable>: Sendable {
    private let stored = TestLock<Result<Value, any Error>?>(nil)
    func set(_ result: Result<Value, any Error>) { stored.withLock { $0 = result } }
    var current: Result<Value, any Error>? { stored.withLock { $0 } }

    /// Runs `body` in a task of its own and records how it ended.
    static func run(_ body: @escaping @Sendable () async throws -> Value) -> TaskOutcome {
        let outcome = TaskOutcome()
        Task {
            do { outcome.set(.success(try await body())) } catch { outcome.set(.failure(error)) }
        }
        return outcome
    }
}

/// `await future.value`: the awaiting task runs a queue nobody runs, and suspends otherwise.
@Suite("await value drives the queue")
struct AwaitValueTests {
    @Test("the job runs on the awaiting task's thread when no pool thread is free: no hop to the pool")
    func runsOnAwaitingThread() async throws {
        let pool = Scheduler(maxThreads: 1)
        defer { pool.shutdown(timeout: .seconds(10)) }
        // The pool's one thread is busy elsewhere until the end of the test.
        let busy = Latch()
        let release = Latch()
        // The release's time limit only guards against a hang: it must outlast the test even
        // when a parallel `swift test` starves Swift's cooperative threads for many seconds (a
        // 10 s limit ran out there: the pool thread was freed and ran the jobs, 0 of 200 here).
        Desync(0, scheduler: pool).async { _ in busy.open(); _ = release.wait(seconds: 300) }
        defer { release.open() }
        #expect(busy.wait())
        let object = Desync(0, scheduler: pool)
        let sameThread = try await bounded(seconds: 120) {
            var sameThread = 0
            for _ in 0..<200 {
                let awaiting = currentThread
                let future = object.future { value -> UInt in value += 1; return currentThread }
                // No suspension in between: the task is on the same thread after the await.
                if try await future.value == awaiting, currentThread == awaiting { sameThread += 1 }
            }
            return sameThread
        }
        #expect(sameThread == 200)
        #expect(object.sync { $0 } == 200)
    }

    @Test("awaited from an actor, the job runs on the actor's thread: no hop to the global pool and back")
    @MainActor
    func awaitFromActorStaysOnActor() async throws {
        // 0 pool threads: only the awaiting code runs the job, so where it runs is where `value`
        // ran. A nonisolated `value` left the main actor for Swift's global pool (one thread
        // wake-up), ran the job there, and came back (another): 18-48 µs a round trip.
        let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
        for _ in 0..<50 {
            let awaiting = currentThread
            let ranOn = try await object.future { value -> UInt in value += 1; return currentThread }.value
            #expect(ranOn == awaiting)
            #expect(currentThread == awaiting)
        }
        #expect(object.sync { $0 } == 50)
    }

    @Test("an actor on a desync object awaiting another object's future whose job syncs the first: no false re-entrancy")
    func awaitFromActorOnDesync() async throws {
        let pool = Scheduler(maxThreads: 2)
        defer { pool.shutdown(timeout: .seconds(10)) }
        let first = Desync(0, label: "first", scheduler: pool)
        let second = Desync(0, label: "second", scheduler: pool)
        let actor = AwaitingQueueActor(object: first)
        // The await lets go of the actor, so `first` is free for the other job's sync; running
        // that job inside the actor's own job would stop the program ("would wait forever").
        let sum = try await bounded {
            var sum = 0
            for index in 0..<50 { sum += try await actor.awaitJob(on: second, adding: index) }
            return sum
        }
        #expect(sum == (0..<50).reduce(0, +))
        #expect(second.sync { $0 } == 50)
    }

    @Test("with 0 pool threads, await value runs the queued jobs itself, in order")
    func zeroThreadsReadyQueue() async throws {
        for _ in 0..<20 {
            let object = Desync([Int](), scheduler: Scheduler(maxThreads: 0))
            for index in 0..<10 { object.async { $0.append(index) } }
            let future = object.future { $0 }
            let outcome = TaskOutcome.run { try await future.value }
            #expect(await awaitEventually { outcome.current != nil })
            #expect(try outcome.current?.get() == Array(0..<10))
        }
    }

    @Test("with 0 pool threads, an await behind a gate runs the queue once the gate opens")
    func zeroThreadsGate() async throws {
        for _ in 0..<20 {
            let object = Desync(1, scheduler: Scheduler(maxThreads: 0))
            let gate = DesyncPromise<Int>()
            let future = object.after(gate.future) { value, first in value + (try first.get()) }
            let outcome = TaskOutcome.run { try await future.value }
            try await Task.sleep(for: .milliseconds(2))
            #expect(outcome.current == nil)
            gate.succeed(41)
            #expect(await awaitEventually { outcome.current != nil })
            #expect(try outcome.current?.get() == 42)
        }
    }

    @Test("with 0 pool threads, an await whose queue another thread leaves early still completes")
    func zeroThreadsOtherOwnerLeaves() async throws {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
        let holding = Latch()
        let release = Latch()
        // Another thread holds the queue in a `sync` while the future is queued behind it.
        Thread.detach {
            object.sync { value in
                holding.open()
                // Only a guard against a hang: it outlasts a starved cooperative pool (see above).
                _ = release.wait(seconds: 300)
                value = 5
            }
        }
        #expect(holding.wait())
        let future = object.future { $0 * 2 }
        let outcome = TaskOutcome.run { try await future.value }
        try await Task.sleep(for: .milliseconds(5))
        #expect(outcome.current == nil)
        release.open()
        #expect(await awaitEventually { outcome.current != nil })
        #expect(try outcome.current?.get() == 10)
    }

    @Test("a job's error is rethrown to the awaiting task")
    func errorRethrown() async throws {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
        let future = object.future { _ -> Int in throw TestError(code: 7) }
        await #expect(throws: TestError(code: 7)) { try await future.value }
    }

    @Test("a cancelled future's await throws CancellationError")
    func cancelledFuture() async throws {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
        let gate = DesyncPromise<Int>()
        let future = object.after(gate.future) { value, _ in value }
        future.cancel()
        await #expect(throws: CancellationError.self) { try await future.value }
    }

    @Test("1,000 tasks await 1,000 futures at once: none blocks a thread, none misses its wake-up")
    func thousandAwaiters() async throws {
        for round in 0..<5 {
            let pool = Scheduler(maxThreads: round % 2 == 0 ? 1 : 4)
            let objects = (0..<10).map { Desync(0, label: "object \($0)", scheduler: pool) }
            let gate = DesyncPromise<Int>()
            let futures = (0..<1000).map { index in
                objects[index % 10].after(gate.future) { value, _ in value += 1; return index }
            }
            let arrived = TestLock(0)
            let finished = TestLock(0)
            let wrong = TestLock(0)
            for (index, future) in futures.enumerated() {
                Task {
                    arrived.withLock { $0 += 1 }
                    let value = try await future.value
                    if value != index { wrong.withLock { $0 += 1 } }
                    finished.withLock { $0 += 1 }
                }
            }
            // Every task reaches its await while the gate is shut: Swift's cooperative pool has
            // one thread per core, so a blocking await would stop at two.
            #expect(await awaitEventually { arrived.withLock { $0 } == 1000 })
            try await Task.sleep(for: .milliseconds(2))
            #expect(finished.withLock { $0 } == 0)
            gate.succeed(0)
            #expect(await awaitEventually { finished.withLock { $0 } == 1000 }, "round \(round): \(finished.withLock { $0 }) of 1000")
            #expect(wrong.withLock { $0 } == 0)
            #expect(objects.map { $0.sync { $0 } } == Array(repeating: 100, count: 10))
            pool.shutdown(timeout: .seconds(10))
        }
    }
}

/// An actor on a desync object's queue that awaits a future of another object.
actor AwaitingQueueActor {
    let object: Desync<Int>

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        object.executor.asUnownedSerialExecutor()
    }

    init(object: Desync<Int>) {
        self.object = object
    }

    func awaitJob(on other: Desync<Int>, adding amount: Int) async throws -> Int {
        let mine = object
        return try await other.future { count in count += 1; return mine.sync { $0 } + amount }.value
    }
}
