import Synchronization
import Testing

@testable import Desync

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

@Suite("Pipes: pipe and pipeIn")
struct PipeTests {
    @Test("pipe: every item exactly once, in order, with random delays on both sides; backpressure never exceeded")
    func pipeOrderAndExactlyOnce() async throws {
        let count = pipeItemCount
        let depth = 5
        let scheduler = Scheduler(maxThreads: 4)
        let object = Desync((seen: 0, jitter: Jitter(seed: 7)), scheduler: scheduler)
        let probe = CountingSource.Probe()
        let source = CountingSource(probe: probe, count: count, jitterSeed: 11)
        let results = object.pipe(source, backpressure: depth) { state, item in
            state.jitter.pause()
            defer { state.seen += 1 }
            return (item, state.seen)
        }
        let (received, overruns) = try await bounded(seconds: 120) {
            var jitter = Jitter(seed: 13)
            var received = 0
            var overruns = 0
            for try await (item, position) in results {
                // Item n is the n-th the object saw and the n-th to come out.
                if item != received || position != received { overruns += 1_000_000 }
                received += 1
                if probe.pulled.load(ordering: .relaxed) > received + depth { overruns += 1 }
                await jitter.pause()
            }
            return (received, overruns)
        }
        #expect(received == count)
        #expect(overruns == 0)
        #expect(object.sync { $0.seen } == count)
    }

    @Test("pipeIn: every item exactly once, in order, with random delays on both sides")
    func pipeInOrderAndExactlyOnce() async throws {
        let count = pipeItemCount
        let scheduler = Scheduler(maxThreads: 4)
        let object = Desync((next: 0, misordered: 0, jitter: Jitter(seed: 3)), scheduler: scheduler)
        let source = CountingSource(probe: .init(), count: count, jitterSeed: 5)
        let done = object.pipeIn(source) { state, item in
            if item != state.next { state.misordered += 1 }
            state.next += 1
            state.jitter.pause()
        }
        try await bounded(seconds: 120) { try await done.value }
        let (next, misordered) = object.sync { ($0.next, $0.misordered) }
        #expect(next == count)
        #expect(misordered == 0)
    }

    @Test("pipeIn interleaves with other jobs, and never queues more than a few items ahead")
    func pipeInDoesNotFlood() async throws {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync(0, scheduler: scheduler)
        let mostQueued = Atomic<Int>(0)
        let source = CountingSource(probe: .init(), count: 2000)
        let done = object.pipeIn(source) { total, item in total += 1 }
        let watcher = Task.detached {
            while !done.isDone {
                let pending = object.pending
                if pending > mostQueued.load(ordering: .relaxed) { mostQueued.store(pending, ordering: .relaxed) }
                await Task.yield()
            }
        }
        try await bounded { try await done.value }
        await watcher.value
        #expect(object.sync { $0 } == 2000)
        #expect(mostQueued.load(ordering: .relaxed) <= Desync<Int>.pipeInWindow + 1)
    }

    @Test("closing the input drains every item before the output ends")
    func closingDrains() async throws {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync(0, scheduler: scheduler)
        let input = DesyncChannel<Int>()
        let results = object.pipe(input, backpressure: 3) { total, item in
            total += item
            return item * 2
        }
        for item in 0..<500 { try await input.send(item) }
        input.close()
        let all = try await bounded {
            var all: [Int] = []
            for try await result in results { all.append(result) }
            return all
        }
        #expect(all == (0..<500).map { $0 * 2 })
        #expect(object.sync { $0 } == (0..<500).reduce(0, +))
    }

    @Test("backpressure holds at exactly depth: items pulled minus items consumed", arguments: [1, 5])
    func backpressureIsExact(depth: Int) async throws {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync(0, scheduler: scheduler)
        let probe = CountingSource.Probe()
        let results = object.pipe(CountingSource(probe: probe), backpressure: depth) { _, item in item }
        // Nothing consumed: the pipe pulls exactly `depth` items and stops.
        #expect(await eventually { probe.pulled.load(ordering: .relaxed) == depth })
        try await Task.sleep(for: .milliseconds(100))
        #expect(probe.pulled.load(ordering: .relaxed) == depth)
        for consumed in 1...7 {
            // Iterators of one pipe share its results, so a fresh one takes the next.
            let result = try await bounded {
                var iterator = results.makeAsyncIterator()
                return try await iterator.next()
            }
            #expect(result == consumed - 1)
            #expect(await eventually { probe.pulled.load(ordering: .relaxed) == consumed + depth })
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(probe.pulled.load(ordering: .relaxed) == 7 + depth)
    }

    @Test("a throwing sequence fails the pipeIn future, after the items before the error ran")
    func throwingSequenceFailsPipeIn() async throws {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync([Int](), scheduler: scheduler)
        let done = object.pipeIn(CountingSource(probe: .init(), count: 100, failAt: 40)) { $0.append($1) }
        let outcome = try await bounded { await Result(catching: { try await done.value }) }
        #expect(throws: TestError(code: 40)) { try outcome.get() }
        #expect(done.status == .failed)
        #expect(object.sync { $0 } == Array(0..<40))
    }

    @Test("a throwing sequence ends pipe's results with its error, after the results before it")
    func throwingSequenceEndsPipe() async throws {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync(0, scheduler: scheduler)
        let results = object.pipe(CountingSource(probe: .init(), count: 100, failAt: 40)) { _, item in item }
        let (collected, error) = try await bounded {
            var collected: [Int] = []
            do {
                for try await result in results { collected.append(result) }
                return (collected, nil as TestError?)
            } catch {
                return (collected, error as? TestError)
            }
        }
        #expect(collected == Array(0..<40))
        #expect(error == TestError(code: 40))
    }

    @Test("while a pipe waits for input it holds no thread and leaves the object free")
    func waitingPipeLeavesObjectFree() async throws {
        // One pool thread: if a pipe held it, nothing else could run.
        let scheduler = Scheduler(maxThreads: 1)
        let object = Desync([String](), scheduler: scheduler)
        let other = Desync(0, scheduler: scheduler)
        let pipedIn = DesyncChannel<String>()
        let pipedThrough = DesyncChannel<String>()
        let done = object.pipeIn(pipedIn) { $0.append("in " + $1) }
        let results = object.pipe(pipedThrough) { log, item in
            log.append("through " + item)
            return log.count
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(object.sync { $0.append("sync"); return $0.count } == 1)
        let asyncRan = Latch()
        object.async { $0.append("async"); asyncRan.open() }
        #expect(asyncRan.wait())
        #expect(try other.future { $0 + 1 }.wait(timeout: .seconds(10)) == 1)
        #expect(await eventually { object.pending == 0 })
        #expect(!done.isDone)

        try await pipedIn.send("a")
        try await pipedThrough.send("b")
        pipedIn.close()
        pipedThrough.close()
        try await bounded { try await done.value }
        let counts = try await bounded {
            var counts: [Int] = []
            for try await count in results { counts.append(count) }
            return counts
        }
        #expect(counts.count == 1)
        #expect(Set(object.sync { $0 }) == ["sync", "async", "in a", "through b"])
    }

    @Test("dropping the consumer stops the pipe: the source is no longer pulled, and let go")
    func droppedConsumerStopsPipe() async throws {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync(0, scheduler: scheduler)
        let probe = CountingSource.Probe()
        do {
            let results = object.pipe(CountingSource(probe: probe), backpressure: 4) { total, item in
                total += 1
                return item
            }
            let firstTen = try await bounded {
                var taken: [Int] = []
                for try await item in results {
                    taken.append(item)
                    if taken.count == 10 { break }
                }
                return taken
            }
            #expect(firstTen == Array(0..<10))
        }
        #expect(await eventually { probe.released.load(ordering: .acquiring) })
        let pulled = probe.pulled.load(ordering: .relaxed)
        #expect(pulled <= 10 + 4)
        try await Task.sleep(for: .milliseconds(100))
        #expect(probe.pulled.load(ordering: .relaxed) == pulled)
        // Items pulled but not yet processed were skipped, not run for nobody.
        #expect(object.sync { $0 } <= pulled)
    }

    @Test("cancelling the consuming task stops the pipe")
    func cancelledConsumerStopsPipe() async throws {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync(0, scheduler: scheduler)
        let input = DesyncChannel<Int>()
        let results = object.pipe(input) { _, item in item }
        let received = Atomic<Int>(0)
        let consumer = Task {
            var count = 0
            for try await _ in results {
                count += 1
                received.add(1, ordering: .releasing)
            }
            return count
        }
        try await input.send(1)
        // Cancel only once the item went through (a fixed sleep was too short on a loaded machine).
        #expect(await eventually { received.load(ordering: .acquiring) == 1 })
        consumer.cancel()
        let count = try await bounded { try await consumer.value }
        #expect(count == 1)
        // The feeder stopped waiting on the channel: a later item stays there, unpulled.
        try await Task.sleep(for: .milliseconds(50))
        try await input.send(2)
        try await Task.sleep(for: .milliseconds(50))
        #expect(input.count == 1)
    }

    @Test("with 0 threads, waiting on a pipeIn future runs the pipe's jobs on the waiting thread")
    func pipeInWithZeroThreads() async throws {
        let scheduler = Scheduler(maxThreads: 0)
        let object = Desync([Int](), scheduler: scheduler)
        let input = DesyncChannel<Int>(capacity: 2)
        let done = object.pipeIn(input) { $0.append($1) }
        Thread.detach {
            for item in 0..<1000 { try? input.send(item) }
            input.close()
        }
        // Waited for on a plain thread: the feeding task needs the cooperative pool meanwhile.
        try await onPlainThread { _ = try done.wait(timeout: .seconds(30)) }
        #expect(done.status == .done)
        #expect(object.sync { $0 } == Array(0..<1000))
        #expect(scheduler.stats.threadsAlive == 0)
    }

    @Test("a pipe's output feeds another object's pipe: two stages, in order")
    func chainedPipes() async throws {
        let scheduler = Scheduler(maxThreads: 2)
        let parse = Desync(0, scheduler: scheduler)
        let sum = Desync(0, scheduler: scheduler)
        let parsed = parse.pipe(CountingSource(probe: .init(), count: 1000)) { _, item in String(item) }
        let totals = sum.pipe(parsed, backpressure: 2) { total, text in
            total += Int(text)!
            return total
        }
        let last = try await bounded {
            var last = 0
            for try await total in totals { last = total }
            return last
        }
        #expect(last == (0..<1000).reduce(0, +))
    }
}
