// Desync against its peers, workload by workload, in one run.
//
// Every benchmark is named "<workload>: <implementation>" and runs `scalingFactor` jobs per
// iteration (`benchmark.scaledIterations`): scripts/bench divides by it to report per-job times and
// allocations. The desync implementations come first in each workload; the peers follow.

import Benchmark
import Desync
import Dispatch
import Synchronization

let benchmarks: @Sendable () -> Void = {
    syncOnIdleObject()
    asyncOnOneObject()
    asyncOverManyObjects()
    futureRoundTrip()
}

// MARK: - Configurations

/// The metrics every benchmark records: per-iteration time, allocations and context switches
/// (a context switch is a thread going to sleep or being woken: the cost of a wake-up).
let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal, .contextSwitches]

/// Cheap jobs: a thousand per iteration, as many iterations as fit in two seconds.
func fastConfiguration() -> Benchmark.Configuration {
    .init(metrics: metrics, warmupIterations: 3, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 100_000)
}

/// Bulk workloads: a million jobs per iteration, a handful of iterations.
func bulkConfiguration() -> Benchmark.Configuration {
    .init(metrics: metrics, warmupIterations: 1, scalingFactor: .mega, maxDuration: .seconds(5), maxIterations: 10)
}

func name(_ workload: String, _ implementation: String) -> String {
    "\(workload): \(implementation)"
}

// MARK: - Peers

/// A mutable counter that a serial DispatchQueue (and only it) touches.
final class Counter: @unchecked Sendable {
    // @unchecked: each instance is only touched from jobs of one serial queue.
    var value = 0
}

/// A counter behind the standard library's mutex (noncopyable, so it lives in a class).
final class LockedCounter: Sendable {
    let mutex = Mutex(0)
}

actor CounterActor {
    var value = 0

    func add(_ amount: Int) -> Int {
        value &+= amount
        return value
    }
}

/// `CounterActor` on a desync object's queue (issue 19): its calls run as the object's jobs.
actor DesyncCounterActor {
    let object = Desync(0)
    var value = 0

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        object.executor.asUnownedSerialExecutor()
    }

    func add(_ amount: Int) -> Int {
        value &+= amount
        return value
    }
}

// MARK: - sync on an idle object

func syncOnIdleObject() {
    let workload = "sync idle"
    let configuration = fastConfiguration()

    Benchmark(name(workload, "Desync.sync"), configuration: configuration) { benchmark in
        let object = Desync(0)
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(object.sync { value in value &+= index; return value })
        }
        benchmark.stopMeasurement()
    }

    // The cost of tracing on (issue 7); the row above has tracing compiled in and off.
    Benchmark(name(workload, "Desync.sync, tracing on"), configuration: configuration) { benchmark in
        let pool = Scheduler(maxThreads: 2)
        let object = Desync(0, scheduler: pool)
        pool.tracing.start()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(object.sync { value in value &+= index; return value })
        }
        benchmark.stopMeasurement()
        blackHole(pool.tracing.stop().count)
    }

    Benchmark(name(workload, "DispatchQueue.sync"), configuration: configuration) { benchmark in
        let queue = DispatchQueue(label: "bench.sync")
        let counter = Counter()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(queue.sync { counter.value &+= index; return counter.value })
        }
        benchmark.stopMeasurement()
    }

    Benchmark(name(workload, "Mutex.withLock"), configuration: configuration) { benchmark in
        let counter = LockedCounter()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(counter.mutex.withLock { value in value &+= index; return value })
        }
        benchmark.stopMeasurement()
    }

    Benchmark(name(workload, "actor on Desync.executor call"), configuration: configuration) { benchmark async in
        let actor = DesyncCounterActor()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(await actor.add(index))
        }
        benchmark.stopMeasurement()
    }

    Benchmark(name(workload, "actor call"), configuration: configuration) { benchmark async in
        let actor = CounterActor()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            blackHole(await actor.add(index))
        }
        benchmark.stopMeasurement()
    }
}

// MARK: - async on one object, then drain

func asyncOnOneObject() {
    let workload = "async 1 object"
    let configuration = bulkConfiguration()

    Benchmark(name(workload, "Desync.async"), configuration: configuration) { benchmark in
        let object = Desync(0)
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            object.async { value in value &+= index }
        }
        blackHole(object.sync { $0 })
        benchmark.stopMeasurement()
    }

    Benchmark(name(workload, "Desync.async, tracing on"), configuration: configuration) { benchmark in
        let pool = Scheduler()
        let object = Desync(0, scheduler: pool)
        pool.tracing.start()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            object.async { value in value &+= index }
        }
        blackHole(object.sync { $0 })
        benchmark.stopMeasurement()
        blackHole(pool.tracing.stop().count)
    }

    Benchmark(name(workload, "DispatchQueue.async"), configuration: configuration) { benchmark in
        let queue = DispatchQueue(label: "bench.async")
        let counter = Counter()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            queue.async { counter.value &+= index }
        }
        blackHole(queue.sync { counter.value })
        benchmark.stopMeasurement()
    }
}

// MARK: - small jobs over 1000 objects

let objectCount = 1000

func asyncOverManyObjects() {
    let workload = "async 1000 objects"
    let configuration = bulkConfiguration()

    Benchmark(name(workload, "Desync.async"), configuration: configuration) { benchmark in
        let objects = (0..<objectCount).map { _ in Desync(0) }
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            objects[index % objectCount].async { value in value &+= index }
        }
        for object in objects {
            blackHole(object.sync { $0 })
        }
        benchmark.stopMeasurement()
    }

    Benchmark(name(workload, "1000 DispatchQueues"), configuration: configuration) { benchmark in
        let queues = (0..<objectCount).map { DispatchQueue(label: "bench.many.\($0)") }
        let counters = (0..<objectCount).map { _ in Counter() }
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            let counter = counters[index % objectCount]
            queues[index % objectCount].async { counter.value &+= index }
        }
        for (queue, counter) in zip(queues, counters) {
            blackHole(queue.sync { counter.value })
        }
        benchmark.stopMeasurement()
    }

    Benchmark(name(workload, "1000 actors"), configuration: configuration) { benchmark async in
        let actors = (0..<objectCount).map { _ in CounterActor() }
        benchmark.startMeasurement()
        // Fire-and-forget calls, one child task each; the group's end is the drain.
        await withDiscardingTaskGroup { group in
            for index in benchmark.scaledIterations {
                let actor = actors[index % objectCount]
                group.addTask { _ = await actor.add(index) }
            }
        }
        benchmark.stopMeasurement()
    }
}

// MARK: - future round trip on an idle object

func futureRoundTrip() {
    let workload = "future round trip"
    let configuration = fastConfiguration()

    Benchmark(name(workload, "Desync.future+wait"), configuration: configuration) { benchmark in
        let object = Desync(0)
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            let future = object.future { value in value &+= index; return value }
            guard let result = try? future.wait() else { benchmark.error("future failed"); return }
            blackHole(result)
        }
        benchmark.stopMeasurement()
    }

    Benchmark(name(workload, "Desync.future+await value"), configuration: configuration) { benchmark async in
        let object = Desync(0)
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            let future = object.future { value in value &+= index; return value }
            guard let result = try? await future.value else { benchmark.error("future failed"); return }
            blackHole(result)
        }
        benchmark.stopMeasurement()
    }

    // A job that may suspend (an `async` closure, issue 19) and does not: the cost of its task and
    // task executor. Not named "async": report.py holds Desync rows named so to 1 allocation a job.
    Benchmark(name(workload, "Desync.future, suspendable job+await value"), configuration: configuration) { benchmark async in
        let object = Desync(0)
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            let future = object.future { value async in value &+= index; return value }
            guard let result = try? await future.value else { benchmark.error("future failed"); return }
            blackHole(result)
        }
        benchmark.stopMeasurement()
    }

    Benchmark(name(workload, "DispatchQueue.async+semaphore"), configuration: configuration) { benchmark in
        let queue = DispatchQueue(label: "bench.future")
        let counter = Counter()
        let done = DispatchSemaphore(value: 0)
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            queue.async {
                counter.value &+= index
                done.signal()
            }
            done.wait()
        }
        blackHole(queue.sync { counter.value })
        benchmark.stopMeasurement()
    }

    Benchmark(name(workload, "actor Task.value"), configuration: configuration) { benchmark async in
        let actor = CounterActor()
        benchmark.startMeasurement()
        for index in benchmark.scaledIterations {
            let task = Task { await actor.add(index) }
            blackHole(await task.value)
        }
        benchmark.stopMeasurement()
    }
}
