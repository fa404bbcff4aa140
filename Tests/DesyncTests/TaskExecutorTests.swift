import Testing

@testable import Desync

/// Nonisolated async code: each step records the thread it ran on, with suspension points (and a
/// child task) between steps.
nonisolated func recordSteps(into threads: TestLock<[UInt]>) async {
    threads.withLock { $0.append(currentThread) }
    await Task.yield()
    threads.withLock { $0.append(currentThread) }
    async let child: Void = threads.withLock { $0.append(currentThread) }
    await child
    await Task.yield()
    threads.withLock { $0.append(currentThread) }
}

@Suite("Scheduler as a task executor")
struct TaskExecutorTests {
    /// The one thread of a 1-thread pool (it never retires while the pool has work or lives).
    private func poolThread(of pool: Scheduler) -> UInt? {
        let thread = TestLock<UInt>(0)
        let ran = Latch()
        // `async` from a thread that does not wait: only the pool thread can run it.
        Desync(0, scheduler: pool).async { _ in
            thread.withLock { $0 = currentThread }
            ran.open()
        }
        return ran.wait() ? thread.withLock { $0 } : nil
    }

    @Test("withTaskExecutorPreference runs nonisolated code, across awaits and in child tasks, on the pool's thread")
    func preferenceRunsOnPool() async throws {
        let pool = Scheduler(maxThreads: 1)
        defer { pool.shutdown(timeout: .seconds(10)) }
        let expected = try #require(poolThread(of: pool))
        for _ in 0..<20 {
            let threads = TestLock<[UInt]>([])
            try await bounded {
                await withTaskExecutorPreference(pool) {
                    threads.withLock { $0.append(currentThread) }
                    await recordSteps(into: threads)
                }
            }
            let seen = threads.withLock { $0 }
            #expect(seen.count == 5)
            #expect(seen.allSatisfy { $0 == expected }, "threads \(seen), pool thread \(expected)")
        }
    }

    @Test("1,000 tasks preferring a 4-thread pool all finish, every piece as a job on a pool thread")
    func manyTasks() async throws {
        let pool = Scheduler(maxThreads: 4)
        defer { pool.shutdown(timeout: .seconds(10)) }
        pool.tracing.start()
        let total = try await bounded {
            await withTaskGroup(of: Int.self) { group in
                for index in 0..<1_000 {
                    group.addTask(executorPreference: pool) {
                        await Task.yield()
                        return index
                    }
                }
                return await group.reduce(0, +)
            }
        }
        let events = pool.tracing.stop().filter { $0.object == "task" }
        #expect(total == 999 * 1_000 / 2)
        // At least the start and the resumption after the yield of each task.
        #expect(events.count >= 2_000, "\(events.count) pieces traced")
        #expect(events.allSatisfy { $0.onPoolThread })
    }

    @Test("Task(executorPreference:) on a pool of 0 threads waits for a thread, and runs once there is one")
    func zeroThreads() async throws {
        let pool = Scheduler(maxThreads: 0)
        defer { pool.shutdown(timeout: .seconds(10)) }
        let started = TestLock<Bool>(false)
        let task = Task(executorPreference: pool) {
            started.withLock { $0 = true }
            return 42
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(started.withLock { $0 } == false)
        pool.maxThreads = 1
        let value = try await bounded { await task.value }
        #expect(value == 42)
        #expect(started.withLock { $0 })
    }

    @Test("a piece may block its thread in a sync on a busy object; the pool runs on")
    func pieceBlocks() async throws {
        let pool = Scheduler(maxThreads: 2)
        defer { pool.shutdown(timeout: .seconds(10)) }
        let object = Desync(0, scheduler: pool)
        let value = try await bounded {
            await withTaskExecutorPreference(pool) {
                object.async { value in
                    usleep(20_000)
                    value += 1
                }
                // Behind the async job: this piece's thread waits for it.
                let seen = object.sync { $0 }
                await Task.yield()
                return seen
            }
        }
        #expect(value == 1)
    }
}
