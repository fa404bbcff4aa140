import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Desync

/// Pipes over channels and over other pipes: no task moves their items, so they run with every
/// Swift concurrency thread blocked, and with 0 pool threads on the thread that waits for them.
@Suite("Pipes over channels: no task, 0 threads, blocked cooperative threads")
struct ChannelPipeTests {
    @Test("with 0 threads, a blocking receive runs a chain of two pipes over a channel")
    func zeroThreadsBlockingReceive() async throws {
        let scheduler = Scheduler(maxThreads: 0)
        let squarer = Desync(0, scheduler: scheduler)
        let summer = Desync(0, scheduler: scheduler)
        let input = DesyncChannel<Int>(capacity: 2)
        let squares = squarer.pipe(input, backpressure: 2) { count, item in
            count += 1
            return item * item
        }
        let sums = summer.pipe(squares, backpressure: 3) { total, square in
            total += square
            return total
        }
        Thread.detach {
            for item in 0..<1000 { try? input.send(item) }
            input.close()
        }
        let (last, count) = try await onPlainThread {
            var last = 0
            var count = 0
            while let total = try sums.receive() {
                last = total
                count += 1
            }
            return (last, count)
        }
        #expect(count == 1000)
        #expect(last == (0..<1000).reduce(0) { $0 + $1 * $1 })
        #expect(squarer.sync { $0 } == 1000)
        #expect(scheduler.stats.threadsAlive == 0)
    }

    @Test("with 0 threads, waiting on a pipeIn future runs the pipes upstream of it")
    func zeroThreadsPipeInOverPipe() async throws {
        let scheduler = Scheduler(maxThreads: 0)
        let parser = Desync(0, scheduler: scheduler)
        let sink = Desync([Int](), scheduler: scheduler)
        let input = DesyncChannel<String>(capacity: 4)
        let numbers = parser.pipe(input) { _, text in Int(text)! }
        let done = sink.pipeIn(numbers) { $0.append($1) }
        Thread.detach {
            for item in 0..<500 { try? input.send(String(item)) }
            input.close()
        }
        try await onPlainThread { _ = try done.wait(timeout: .seconds(30)) }
        #expect(done.status == .done)
        #expect(sink.sync { $0 } == Array(0..<500))
        #expect(scheduler.stats.threadsAlive == 0)
    }

    /// Every cooperative thread is blocked on a semaphore while the pipes run on desync's pool
    /// threads; a probe task started after the blockers proves the pool was full. Before pipes
    /// over channels needed no task, the feeding task never ran and the wait timed out.
    @Test("pipes over channels run to completion with every cooperative thread blocked", arguments: [1, 2])
    func blockedCooperativeThreads(poolThreads: Int) throws {
        let scheduler = Scheduler(maxThreads: poolThreads)
        let release = DispatchSemaphore(value: 0)
        let blockers = ProcessInfo.processInfo.activeProcessorCount + 2
        for _ in 0..<blockers { Task.detached { release.wait() } }
        defer { for _ in 0..<blockers { release.signal() } }
        usleep(100_000)
        let probeRan = Atomic<Bool>(false)
        Task.detached { probeRan.store(true, ordering: .releasing) }

        let doubler = Desync(0, scheduler: scheduler)
        let summer = Desync(0, scheduler: scheduler)
        let input = DesyncChannel<Int>(capacity: 8)
        let doubled = doubler.pipe(input, backpressure: 3) { _, item in item * 2 }
        let done = summer.pipeIn(doubled) { total, item in total += item }
        let direct = DesyncChannel<Int>(capacity: 2)
        let counted = summer.pipeIn(direct) { total, _ in total += 1_000_000 }
        let fed = Latch()
        Thread.detach {
            for item in 0..<5000 {
                try? input.send(item)
                if item < 3 { try? direct.send(item) }
            }
            input.close()
            direct.close()
            fed.open()
        }
        #expect(fed.wait(seconds: 30))
        #expect(try done.wait(timeout: .seconds(30)) != nil)
        #expect(try counted.wait(timeout: .seconds(30)) != nil)
        let expected: Int = 2 * (0..<5000).reduce(0, +) + 3_000_000
        #expect(summer.sync { $0 } == expected)
        let poolWasFull = !probeRan.load(ordering: .acquiring)
        #expect(poolWasFull, "the cooperative pool was not full: the test proves nothing")
    }

    @Test("a pipe reading another pipe ends with the first one's source error, after its results")
    func upstreamErrorCarriesOn() async throws {
        let scheduler = Scheduler(maxThreads: 2)
        let first = Desync(0, scheduler: scheduler)
        let second = Desync(0, scheduler: scheduler)
        let source = CountingSource(probe: .init(), count: 100, failAt: 40)
        let tripled = second.pipe(first.pipe(source) { _, item in item }) { _, item in item * 3 }
        let (collected, error) = try await bounded {
            var collected: [Int] = []
            do {
                for try await result in tripled { collected.append(result) }
                return (collected, nil as TestError?)
            } catch {
                return (collected, error as? TestError)
            }
        }
        #expect(collected == (0..<40).map { $0 * 3 })
        #expect(error == TestError(code: 40))

        let sink = Desync([Int](), scheduler: scheduler)
        let failing = CountingSource(probe: .init(), count: 100, failAt: 10)
        let done = sink.pipeIn(first.pipe(failing) { _, item in item }) { $0.append($1) }
        let outcome = try await bounded { await Result(catching: { try await done.value }) }
        #expect(throws: TestError(code: 10)) { try outcome.get() }
        #expect(sink.sync { $0 } == Array(0..<10))
    }

    @Test("a pipe reading another pipe's results keeps the first pipe's backpressure exact")
    func chainedBackpressure() async throws {
        let scheduler = Scheduler(maxThreads: 2)
        let first = Desync(0, scheduler: scheduler)
        let second = Desync(0, scheduler: scheduler)
        let probe = CountingSource.Probe()
        let upstream = first.pipe(CountingSource(probe: probe), backpressure: 2) { _, item in item }
        let results = second.pipe(upstream, backpressure: 3) { _, item in item }
        // Nobody reads: 3 results wait in the second pipe's output, 2 in the first's.
        #expect(await eventually { probe.pulled.load(ordering: .relaxed) == 5 })
        try await Task.sleep(for: .milliseconds(100))
        #expect(probe.pulled.load(ordering: .relaxed) == 5)
        let first5 = try await bounded {
            var taken: [Int] = []
            for try await item in results {
                taken.append(item)
                if taken.count == 5 { break }
            }
            return taken
        }
        #expect(first5 == Array(0..<5))
        #expect(await eventually { probe.pulled.load(ordering: .relaxed) == 10 })
    }
}
