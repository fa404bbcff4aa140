import Desync
import Testing

/// The code of the DocC articles (Sources/Desync/Desync.docc), run through the public API only
/// (no @testable), so an article whose code stops compiling or says the wrong result fails here.
/// Each runs under `bounded`: a hang fails instead of stalling the suite.
@Suite("DocC articles' examples")
struct DocArticleTests {
    struct Account { var balance = 0; var history: [Int] = [] }

    @Test("Getting started: jobs in order, and a pool of 0 threads")
    func gettingStarted() async throws {
        let (balance, report, hits) = try await bounded {
            let account = Desync(Account(), label: "account")
            account.async { $0.balance += 100; $0.history.append(100) }
            let balance = account.sync { $0.balance }
            let report = account.future { "\($0.history.count) entries" }

            let pool = Scheduler(maxThreads: 4)
            let cache = Desync([String: Int](), label: "cache", scheduler: pool)
            cache.async { $0["hits"] = 0 }
            pool.maxThreads = 0
            let hits = cache.sync { $0["hits"] ?? -1 }
            pool.shutdown()
            return (balance, try report.wait(), hits)
        }
        #expect(balance == 100 && report == "1 entries" && hits == 0)
    }

    @Test("Jobs and ordering: async jobs then a sync, and after")
    func jobsAndOrdering() async throws {
        let (entries, rows) = try await bounded {
            let log = Desync([String](), label: "log")
            for step in 1...3 { log.async { $0.append("async \(step)") } }
            log.sync { $0.append("sync") }

            let network = Desync(0, label: "network")
            let database = Desync([String](), label: "database")
            let fetched = network.future { _ in "page" }
            let stored = database.after(fetched) { rows, page in rows.append(try page.get()) }
            try stored.wait()
            return (log.sync { $0 }, database.sync { $0 })
        }
        #expect(entries == ["async 1", "async 2", "async 3", "sync"])
        #expect(rows == ["page"])
    }

    @Test("Futures and waiting: poll, wait, await, cancel")
    func futuresAndWaiting() async throws {
        let numbers = Desync([3, 1, 2], label: "numbers")
        let total = numbers.future { $0.reduce(0, +) }
        let (waited, timed, awaited) = try await bounded {
            (try total.wait(), try total.wait(timeout: .seconds(1)) ?? -1, try await total.value)
        }
        #expect(waited == 6 && timed == 6 && awaited == 6)
        #expect(total.isDone && total.status == .done)

        let pool = Scheduler(maxThreads: 0)
        let slow = Desync(0, label: "slow", scheduler: pool)
        slow.async { _ in }
        let skipped = slow.future { $0 + 1 }
        #expect(skipped.cancel())
        #expect(skipped.status == .cancelled)
    }

    struct Page: Sendable { var text: String }
    static func download(_ name: String) async throws -> Page { Page(text: "<\(name)>") }

    @Test("Async jobs: the job holds its object across its await")
    func asyncJobs() async throws {
        let (text, count) = try await bounded {
            let cache = Desync([String: Page](), label: "cache")
            let page = cache.future { pages in
                if let page = pages["home"] { return page }
                let fetched = try await Self.download("home")
                pages["home"] = fetched
                return fetched
            }
            return (try await page.value.text, cache.sync { $0.count })
        }
        #expect(text == "<home>" && count == 1)
    }

    actor Meter {
        let object: Desync<Int>
        var readings = 0

        nonisolated var unownedExecutor: UnownedSerialExecutor {
            object.executor.asUnownedSerialExecutor()
        }

        init(object: Desync<Int>) { self.object = object }

        func read() -> Int {
            readings += 1
            return readings
        }
    }

    @Test("Desync as an executor: an actor's method after a job, and assumeIsolated in a job")
    func executor() async throws {
        let (read, count, value) = try await bounded {
            let object = Desync(0, label: "meter")
            let meter = Meter(object: object)
            object.async { $0 += 1 }
            let read = await meter.read()
            let count = object.sync { _ in meter.assumeIsolated { $0.readings } }
            return (read, count, object.sync { $0 })
        }
        #expect(read == 1 && count == 1 && value == 1)
    }

    /// The article's code runs on a thread: `send` is the blocking one there.
    static func channelThroughPipes() throws -> Int {
        let lines = DesyncChannel<String>(capacity: 16)
        let parser = Desync(0, label: "parser")
        let numbers = parser.pipe(lines) { parsed, line in
            parsed += 1
            return Int(line) ?? 0
        }
        let totals = Desync(0, label: "totals")
        let counted = totals.pipeIn(numbers) { total, number in total += number }
        for line in ["1", "2", "x", "4"] { try lines.send(line) }
        lines.close()
        try counted.wait()
        return totals.sync { $0 }
    }

    static func checksum(_ bytes: [UInt8]) async -> Int {
        bytes.reduce(0) { $0 &+ Int($1) }
    }

    @Test("Desync as an executor: the pool as a task executor")
    func taskExecutor() async throws {
        let (sum, other) = try await bounded {
            let pool = Scheduler(maxThreads: 4)
            defer { pool.shutdown(timeout: .seconds(10)) }
            let sum = await withTaskExecutorPreference(pool) {
                await Self.checksum([1, 2, 3])
            }
            let task = Task(executorPreference: pool) { await Self.checksum([4, 5]) }
            return (sum, await task.value)
        }
        #expect(sum == 6 && other == 9)
    }

    @Test("Pipes and channels: an async sequence, and a channel through two pipes")
    func pipesAndChannels() async throws {
        let (ratios, total) = try await bounded {
            let readings = AsyncStream<Double> { stream in
                for reading in [1.0, 2.0, 30.0] { stream.yield(reading) }
                stream.finish()
            }
            let stats = Desync([Double](), label: "stats")
            let piped = stats.pipe(readings, backpressure: 8) { seen, reading in
                seen.append(reading)
                return reading / seen.reduce(0, +)
            }
            var ratios: [Double] = []
            for try await ratio in piped { ratios.append(ratio) }
            return (ratios, try Self.channelThroughPipes())
        }
        #expect(ratios == [1.0, 2.0 / 3.0, 30.0 / 33.0])
        #expect(total == 7)
    }

    @Test("Tracing and stats: jobs counted, one event per job, a timeline and JSON")
    func tracingAndStats() async throws {
        let (jobsRun, events, timeline, json) = try await bounded {
            let pool = Scheduler(maxThreads: 2)
            defer { pool.shutdown(timeout: .seconds(10)) }
            let object = Desync(0, label: "counter", scheduler: pool)
            for _ in 0..<100 { object.async { $0 += 1 } }
            object.sync { _ in }
            let jobsRun = pool.stats.jobsRun

            pool.tracing.start()
            let other = Desync(0, label: "other", scheduler: pool)
            for _ in 0..<10 { object.async { $0 += 1 }; other.async { $0 += 1 } }
            object.sync { _ in }
            other.sync { _ in }
            let events = pool.tracing.stop()
            return (jobsRun, events, TraceTimeline.render(events, width: 40), ChromeTraceFormat.json(events))
        }
        #expect(jobsRun >= 101)
        #expect(events.filter { $0.object == "counter" }.count == 11)
        #expect(events.filter { $0.object == "other" }.count == 11)
        #expect(timeline.contains("counter") && timeline.contains("other"))
        #expect(json.contains("\"counter\""))
    }

    static func scenario(seed: UInt64) -> [String] {
        let pool = Scheduler(simulated: seed, strategy: .pct(depth: 2, steps: SimulatedSchedule.defaultPCTSteps))
        let log = Desync([String](), label: "log", scheduler: pool)
        let writers = ["a", "b", "c"].map { Desync(0, label: $0, scheduler: pool) }
        for (index, writer) in writers.enumerated() {
            writer.async { _ in log.async { $0.append(["a", "b", "c"][index]) } }
        }
        for writer in writers { writer.sync { _ in } }
        return log.sync { $0 }
    }

    @Test("Simulated schedules: a seed replays its interleaving")
    func simulatedSchedules() async throws {
        let (first, again, replays) = try await bounded {
            func run() -> [String] {
                let pool = Scheduler(simulated: 42)
                let log = Desync([String](), label: "log", scheduler: pool)
                let a = Desync(0, label: "a", scheduler: pool)
                let b = Desync(0, label: "b", scheduler: pool)
                a.async { _ in log.async { $0.append("a") } }
                b.async { _ in log.async { $0.append("b") } }
                a.sync { _ in }
                b.sync { _ in }
                return log.sync { $0 }
            }
            let replays = (1...100 as ClosedRange<UInt64>).allSatisfy { Self.scenario(seed: $0) == Self.scenario(seed: $0) }
            return (run(), run(), replays)
        }
        #expect(first == again && first.sorted() == ["a", "b"])
        #expect(replays)
    }
}
