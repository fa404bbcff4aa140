import Testing

@testable import Desync

/// An actor whose executor is a desync object's queue.
actor QueueActor {
    let object: Desync<Int>
    var calls = 0

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        object.executor.asUnownedSerialExecutor()
    }

    init(object: Desync<Int>) {
        self.object = object
    }

    /// Records `name` and whether it runs as a job of the object.
    func step(_ name: String, into log: TestLock<[String]>) -> Bool {
        calls += 1
        log.withLock { $0.append(name) }
        return object.isRunningOnCurrentThread
    }

    func callCount() -> Int { calls }
}

@Suite("Desync as an executor")
struct ExecutorTests {
    @Test("an actor on a desync executor runs its methods as the object's jobs, in order with the others", arguments: [1, 4])
    func interleavesWithJobs(threads: Int) async throws {
        let pool = Scheduler(maxThreads: threads)
        defer { pool.shutdown(timeout: .seconds(10)) }
        let object = Desync(0, scheduler: pool)
        let actor = QueueActor(object: object)
        let log = TestLock<[String]>([])
        let inJobs = try await bounded {
            var inJobs = 0
            for index in 0..<100 {
                object.async { _ in log.withLock { $0.append("job \(index)") } }
                // Queued behind the job above: the object runs its jobs in order.
                if await actor.step("actor \(index)", into: log) { inJobs += 1 }
            }
            return inJobs
        }
        #expect(inJobs == 100)
        let expected = (0..<100).flatMap { ["job \($0)", "actor \($0)"] }
        #expect(log.withLock { $0 } == expected)
    }

    @Test("inside a job of the object, assumeIsolated reaches the actor; outside, the executor says no")
    func assumeIsolatedInJob() async throws {
        let pool = Scheduler(maxThreads: 1)
        defer { pool.shutdown(timeout: .seconds(10)) }
        let object = Desync(0, scheduler: pool)
        let actor = QueueActor(object: object)
        let log = TestLock<[String]>([])
        _ = try await bounded { await actor.step("warm", into: log) }
        // A plain job (sync, on this thread) and a queued one (a pool thread).
        let inSync = object.sync { _ in actor.assumeIsolated { $0.calls } }
        let inFuture = try object.future { _ in actor.assumeIsolated { $0.calls } }.wait()
        #expect(inSync == 1 && inFuture == 1)
        #expect(object.sync { _ in object.executor.isIsolatingCurrentContext() } == true)
        #expect(object.executor.isIsolatingCurrentContext() == false)
    }

    @Test("executors made for one object are one executor to the runtime")
    func identity() {
        let object = Desync(0)
        // `asUnownedSerialExecutor` names the queue, not the `DesyncExecutor` made for it.
        #expect(object.executor.core === object.executor.core)
        #expect(object.executor.core !== Desync(0).executor.core)
    }
}
