import Testing

@testable import Desync

/// `future` with an `async` job: in order, holding the queue across awaits, holding no thread.
@Suite("async jobs")
struct AsyncJobTests {
    /// What the jobs of the order test record in the object's value.
    struct Log {
        var entries: [String] = []
        /// A job that starts while another is inside: exclusivity broken.
        var inside = false
        var overlaps = 0

        mutating func enter(_ name: String) {
            if inside { overlaps += 1 }
            inside = true
            entries.append("start \(name)")
        }

        mutating func leave(_ name: String) {
            inside = false
            entries.append("end \(name)")
        }
    }

    @Test("async jobs run in order and alone, across awaits, with 0, 1 and 4 pool threads", arguments: [0, 1, 4])
    func orderAndExclusivity(threads: Int) async throws {
        for round in 0..<10 {
            let pool = Scheduler(maxThreads: threads)
            let object = Desync(Log(), scheduler: pool)
            let other = Desync(0, scheduler: pool)
            var expected: [String] = []
            var futures: [DesyncFuture<Int>] = []
            for index in 0..<12 {
                let name = "\(index)"
                expected += ["start \(name)", "end \(name)"]
                switch index % 3 {
                case 0:
                    futures.append(object.future { log in
                        log.enter(name)
                        try await Task.sleep(for: .microseconds(200))
                        log.leave(name)
                        return index
                    })
                case 1:
                    // Awaits another object's job (with 0 threads, the awaiting task runs it).
                    futures.append(object.future { log in
                        log.enter(name)
                        let seen = try await other.future { value in value += 1; return value }.value
                        await Task.yield()
                        log.leave(name)
                        return seen > 0 ? index : -1
                    })
                default:
                    // A plain job between the async ones.
                    futures.append(object.future { log in
                        log.enter(name)
                        log.leave(name)
                        return index
                    })
                }
            }
            // With 0 threads a waiter drives the queue: here a blocking one on a plain thread.
            let all = futures
            let values = try await onPlainThread {
                try all.map { try $0.wait(timeout: .seconds(10)) }
            }
            #expect(values == Array(0..<12), "round \(round)")
            let log = object.sync { $0 }
            #expect(log.entries == expected, "round \(round)")
            #expect(log.overlaps == 0)
            pool.shutdown(timeout: .seconds(10))
        }
    }

    @Test("with 0 pool threads, awaiting the async job's future drives it")
    func zeroThreadsAwaited() async throws {
        for _ in 0..<10 {
            let object = Desync(1, scheduler: Scheduler(maxThreads: 0))
            let future = object.future { value in
                try await Task.sleep(for: .milliseconds(1))
                value += 1
                await Task.yield()
                return value * 10
            }
            #expect(try await bounded(seconds: 10) { try await future.value } == 20)
            #expect(object.sync { $0 } == 2)
        }
    }

    @Test("a sync queued while an async job is suspended waits for the job's end")
    func laterSyncWaits() async throws {
        for threads in [0, 1, 4] {
            let pool = Scheduler(maxThreads: threads)
            let object = Desync(0, scheduler: pool)
            let gate = DesyncPromise<Int>()
            let waitsOn = Desync(0, scheduler: pool).after(gate.future) { _, first in try first.get() }
            let job = object.future { value in
                value = 1
                value += try await waitsOn.value
                return value
            }
            // The job has started and suspended (it set 1 and holds the queue).
            if threads > 0 {
                #expect(await awaitEventually { pool.stats.suspendedJobs == 1 })
            }
            let seen = TaskOutcome.run { try await onPlainThread { object.sync { $0 } } }
            try await Task.sleep(for: .milliseconds(20))
            #expect(seen.current == nil, "\(threads) threads: the sync ran while the async job was suspended")
            gate.succeed(41)
            #expect(await awaitEventually { seen.current != nil })
            #expect(try seen.current?.get() == 42)
            #expect(try job.wait(timeout: .seconds(10)) == 42)
            pool.shutdown(timeout: .seconds(10))
        }
    }

    @Test("a suspended async job holds no thread: a 1-thread pool runs other objects meanwhile")
    func holdsNoThread() async throws {
        let pool = Scheduler(maxThreads: 1)
        defer { pool.shutdown(timeout: .seconds(10)) }
        let gate = DesyncPromise<Int>()
        let waitsOn = Desync(0, scheduler: pool).after(gate.future) { _, first in try first.get() }
        let objects = (0..<5).map { _ in Desync(0, scheduler: pool) }
        let jobs = objects.map { object in
            object.future { value in value = try await waitsOn.value; return value }
        }
        #expect(await awaitEventually { pool.stats.suspendedJobs == 5 })
        let other = Desync(0, scheduler: pool)
        let others = (0..<100).map { index in other.future { value in value += index; return value } }
        // The pool thread runs `other`'s jobs: none of the suspended jobs holds it.
        #expect(await awaitEventually { others.allSatisfy(\.isDone) })
        #expect(jobs.allSatisfy { !$0.isDone })
        gate.succeed(7)
        for job in jobs { #expect(try await bounded { try await job.value } == 7) }
    }

    @Test("after an await, the job resumes on a desync pool thread")
    func resumesOnPool() async throws {
        let pool = Scheduler(maxThreads: 2)
        defer { pool.shutdown(timeout: .seconds(10)) }
        let object = Desync(0, scheduler: pool)
        let onPool = try await bounded {
            try await object.future { _ in
                try await Task.sleep(for: .milliseconds(1))
                return WorkerPool.current != nil
            }.value
        }
        #expect(onPool)
    }

    @Test("the job's error is rethrown to await and wait")
    func errors() async throws {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 1))
        let failing = object.future { value -> Int in
            await Task.yield()
            value = 5
            throw TestError(code: 3)
        }
        await #expect(throws: TestError(code: 3)) { try await bounded { try await failing.value } }
        #expect(throws: TestError(code: 3)) { try failing.wait() }
        #expect(failing.status == .failed)
        // The queue goes on after a failed job, with its changes kept.
        #expect(object.sync { $0 } == 5)
    }

    @Test("cancelling the awaiting task ends its await; the job runs to its end, holding the queue")
    func cancellingTheAwaiter() async throws {
        for _ in 0..<10 {
            let pool = Scheduler(maxThreads: 2)
            let object = Desync(0, scheduler: pool)
            let gate = DesyncPromise<Int>()
            let waitsOn = Desync(0, scheduler: pool).after(gate.future) { _, first in try first.get() }
            let job = object.future { value in
                value = try await waitsOn.value
                return value
            }
            let awaiter = Task { try await job.value }
            try await Task.sleep(for: .milliseconds(1))
            awaiter.cancel()
            await #expect(throws: CancellationError.self) { try await awaiter.value }
            #expect(!job.isDone)
            #expect(!job.cancel(), "a started job cannot be cancelled")
            gate.succeed(9)
            #expect(try await bounded { try await job.value } == 9)
            #expect(object.sync { $0 } == 9)
            pool.shutdown(timeout: .seconds(10))
        }
    }

    @Test("an async job whose future was cancelled before it started never runs")
    func cancelledBeforeStart() async throws {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
        let job = object.future { value in value = 1; await Task.yield(); return value }
        #expect(job.cancel())
        #expect(object.sync { $0 } == 0)
        await #expect(throws: CancellationError.self) { try await job.value }
    }

    @Test("a child task of an async job runs in the job's slices, on its value's side")
    func childTasks() async throws {
        let pool = Scheduler(maxThreads: 2)
        defer { pool.shutdown(timeout: .seconds(10)) }
        let object = Desync(0, scheduler: pool)
        let sum = try await bounded {
            try await object.future { value in
                async let first = Self.slowDouble(2)
                async let second = Self.slowDouble(3)
                value = try await first + second
                return value
            }.value
        }
        #expect(sum == 10)
    }

    private static func slowDouble(_ value: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(1))
        return value * 2
    }
}
