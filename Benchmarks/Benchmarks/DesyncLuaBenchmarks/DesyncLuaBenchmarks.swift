// The Lua workloads of issue 6, desync-lua side: a LuaRuntime in this process runs a Lua loop,
// and the benchmark times the `execute` of that loop.
//
// Names follow DesyncBenchmarks: "<workload>: <implementation>". A sync iteration runs 1000 jobs
// (`scalingFactor: .kilo`); the bulk workloads run a fixed number of jobs per iteration with
// `scalingFactor: .one`, and report.py's JOBS_PER_ITERATION divides by it (ordo-one has no 100k
// scaling factor). The luv peers are Lua scripts in ../../lua, run by lua5.4 from scripts/bench
// in the same run; report.py merges their results into the table.
//
// Each iteration makes a fresh runtime and warms it up (the job's bytecode is cached in the
// object's state, the object's state exists) before the measurement starts; the Lua loops check
// their own results, so no work can be skipped.

import Benchmark
import DesyncLua
import Synchronization

let benchmarks: @Sendable () -> Void = {
    syncRoundTrip()
    futureRoundTrip()
    asyncThenDrain()
    cpuBoundSpeedUp()
    suspendBenchmarks()
    pipelineBenchmarks()
}

/// The metrics every benchmark records, as in DesyncBenchmarks.
let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal, .contextSwitches]

func name(_ workload: String, _ implementation: String) -> String {
    "\(workload): \(implementation)"
}

/// A runtime on the shared scheduler with `prelude` run in its host state, or nil (and the
/// benchmark's error set) if the prelude failed.
func runtime(_ prelude: String, for benchmark: Benchmark) -> LuaRuntime? {
    let runtime = LuaRuntime()
    if let error = runtime.execute(prelude, name: "=prelude") {
        benchmark.error("Lua prelude failed: \(error)")
        return nil
    }
    return runtime
}

/// Runs `source` in the runtime's host state; on a Lua error, sets the benchmark's error and
/// returns false.
func run(_ source: String, in runtime: LuaRuntime, for benchmark: Benchmark) -> Bool {
    guard let error = runtime.execute(source, name: "=bench") else { return true }
    benchmark.error("Lua failed: \(error)")
    return false
}

/// Times `source` (one iteration) after running `warmUp`, both in a fresh runtime set up by
/// `prelude`; waits for the runtime's objects to go idle afterwards, outside the measurement.
func measure(_ benchmark: Benchmark, prelude: String, warmUp: String, source: String) {
    guard let runtime = runtime(prelude, for: benchmark),
          run(warmUp, in: runtime, for: benchmark)
    else { return }
    benchmark.startMeasurement()
    let succeeded = run(source, in: runtime, for: benchmark)
    benchmark.stopMeasurement()
    if succeeded { runtime.waitUntilIdle() }
}

// MARK: - obj:sync(f) round trip vs a plain call of f

/// `f` is the same function in both loops: called directly, or sent to the object by `obj:sync`
/// (its bytecode crosses once and is cached; `i` crosses by copy, the result comes back by copy).
let syncPrelude = """
    local function f(data, i)
        data.n = data.n + i
        return data.n
    end
    local object = desync.new({ n = 0 }, { name = "bench.sync" })
    local plain = { n = 0 }

    local function check(sum, count)
        -- Sum over i of (i * (i + 1) / 2), starting from n = 0.
        local expected = count * (count + 1) * (count + 2) // 6
        assert(sum == expected, "wrong sum " .. sum .. ", expected " .. expected)
    end

    function bench_sync(count)
        object:sync(function(data) data.n = 0 end)
        local sum = 0
        for i = 1, count do
            sum = sum + object:sync(f, i)
        end
        check(sum, count)
    end

    -- The same job written at the call site, as scripts usually do: a new closure every call.
    function bench_sync_literal(count)
        object:sync(function(data) data.n = 0 end)
        local sum = 0
        for i = 1, count do
            sum = sum + object:sync(function(data, i) data.n = data.n + i return data.n end, i)
        end
        check(sum, count)
    end

    function bench_future_literal(count)
        object:sync(function(data) data.n = 0 end)
        local sum = 0
        for i = 1, count do
            sum = sum + object:future(function(data, i) data.n = data.n + i return data.n end, i):wait()
        end
        check(sum, count)
    end

    function bench_plain(count)
        plain.n = 0
        local sum = 0
        for i = 1, count do
            sum = sum + f(plain, i)
        end
        check(sum, count)
    end
    """

func syncRoundTrip() {
    let workload = "lua sync round trip"
    let configuration = Benchmark.Configuration(
        metrics: metrics, warmupIterations: 3, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 100_000)

    Benchmark(name(workload, "desync-lua obj:sync(f)"), configuration: configuration) { benchmark in
        measure(benchmark, prelude: syncPrelude, warmUp: "bench_sync(10)",
                source: "bench_sync(\(benchmark.scaledIterations.count))")
    }

    Benchmark(name(workload, "desync-lua obj:sync(function literal)"), configuration: configuration) { benchmark in
        measure(benchmark, prelude: syncPrelude, warmUp: "bench_sync_literal(10)",
                source: "bench_sync_literal(\(benchmark.scaledIterations.count))")
    }

    Benchmark(name(workload, "plain Lua call f()"), configuration: configuration) { benchmark in
        measure(benchmark, prelude: syncPrelude, warmUp: "bench_plain(10)",
                source: "bench_plain(\(benchmark.scaledIterations.count))")
    }
}

// MARK: - obj:future(literal):wait() round trip

/// One future at a time, its job written at the call site, waited for at once.
func futureRoundTrip() {
    let workload = "lua future round trip"
    let configuration = Benchmark.Configuration(
        metrics: metrics, warmupIterations: 3, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 100_000)

    Benchmark(name(workload, "desync-lua obj:future(function literal):wait()"), configuration: configuration) { benchmark in
        measure(benchmark, prelude: syncPrelude, warmUp: "bench_future_literal(10)",
                source: "bench_future_literal(\(benchmark.scaledIterations.count))")
    }
}

// MARK: - 100k obj:async jobs, then drain

/// Jobs per iteration of "lua 100k async then drain" (report.py's JOBS_PER_ITERATION).
let asyncJobs = 100_000

/// 100k small jobs on one object, then a `sync` that waits for them all. The luv peer queues the
/// same number of jobs on luv's work queue and runs the loop until their callbacks have run.
let asyncPrelude = """
    local function add(data, i)
        data.n = data.n + i
    end
    local object = desync.new({ n = 0 }, { name = "bench.async" })

    function bench_async(count)
        object:sync(function(data) data.n = 0 end)
        for i = 1, count do
            object:async(add, i)
        end
        local n = object:sync(function(data) return data.n end)
        assert(n == count * (count + 1) // 2, "wrong total " .. n)
    end

    -- The shapes scripts are written in (issue 16): the function at the call site, with no
    -- upvalue and with two (a number and a string), and a table argument of 10 fields.
    function bench_async_literal(count)
        object:sync(function(data) data.n = 0 end)
        for i = 1, count do
            object:async(function(data, i) data.n = data.n + i end, i)
        end
        local n = object:sync(function(data) return data.n end)
        assert(n == count * (count + 1) // 2, "wrong total " .. n)
    end

    function bench_async_upvalues(count)
        object:sync(function(data) data.n = 0 end)
        local step, label = 1, "step"
        for i = 1, count do
            object:async(function(data, i) data.n = data.n + i * step data.label = label end, i)
        end
        local n = object:sync(function(data) return data.n end)
        assert(n == count * (count + 1) // 2, "wrong total " .. n)
    end

    local function add_record(data, record)
        data.n = data.n + record.j
    end

    function bench_async_table(count)
        object:sync(function(data) data.n = 0 end)
        for i = 1, count do
            object:async(add_record, { a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8, i = 9, j = i })
        end
        local n = object:sync(function(data) return data.n end)
        assert(n == count * (count + 1) // 2, "wrong total " .. n)
    end
    """

func asyncThenDrain() {
    let workload = "lua 100k async then drain"
    let configuration = Benchmark.Configuration(
        metrics: metrics, warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 20)

    Benchmark(name(workload, "desync-lua obj:async"), configuration: configuration) { benchmark in
        measure(benchmark, prelude: asyncPrelude, warmUp: "bench_async(100)", source: "bench_async(\(asyncJobs))")
    }

    for (implementation, function) in [
        ("desync-lua obj:async(function literal)", "bench_async_literal"),
        ("desync-lua obj:async(literal, 2 upvalues)", "bench_async_upvalues"),
        ("desync-lua obj:async(f, 10-field table)", "bench_async_table"),
    ] {
        Benchmark(name(workload, implementation), configuration: configuration) { benchmark in
            measure(benchmark, prelude: asyncPrelude, warmUp: "\(function)(100)", source: "\(function)(\(asyncJobs))")
        }
    }
}

// MARK: - 4 CPU-bound jobs: 4 objects vs 1

/// Loop iterations per CPU-bound job (tens of milliseconds); the luv peer's default is the same.
let spinSize = 4_000_000

/// The same 4 jobs (report.py's JOBS_PER_ITERATION) as futures on 4 objects (they may run in parallel) or on 1 object (one after
/// the other); the speed-up is the second's time over the first's, taken in pairs
/// (`pairedSpeedUp`). `spin` is luv_cpu.lua's loop.
let cpuPrelude = """
    local function spin(_, n)
        local s = 0
        for i = 1, n do s = s + i % 7 end
        return s
    end
    local objects = {}
    for k = 1, 4 do objects[k] = desync.new({}, { name = "bench.cpu" .. k }) end
    local expected = spin(nil, \(spinSize))

    function bench_cpu(count, n)
        local futures = {}
        for k = 1, 4 do
            futures[k] = objects[(k - 1) % count + 1]:future(spin, n)
        end
        for k = 1, 4 do
            assert(futures[k]:wait() == expected, "wrong result")
        end
    end

    -- Every object has run spin once (its state exists, the bytecode is cached).
    function warm_up()
        local futures = {}
        for k = 1, 4 do futures[k] = objects[k]:future(spin, 1) end
        for k = 1, 4 do futures[k]:wait() end
    end
    """

/// The speed-up of 4 objects over 1 measured in pairs: every iteration of the "4 objects"
/// benchmark also runs the 4 jobs on 1 object, before or after (alternating), and records the
/// serial time over the parallel one. This VM's speed drifts by 30-40% within seconds, so a
/// ratio of two medians taken minutes apart moves with it; a ratio taken within one iteration
/// does not. Per mille, since custom metrics are integers.
let pairedSpeedUp = BenchmarkMetric.custom("paired speed-up (per mille)", polarity: .prefersLarger, useScalingFactor: false)

/// Iterations of the paired benchmark so far, to alternate which configuration runs first.
let cpuIterations = Atomic(0)

func cpuBoundSpeedUp() {
    let workload = "lua 4 CPU-bound jobs"
    let configuration = Benchmark.Configuration(
        metrics: metrics, warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(5), maxIterations: 20)
    let pairedConfiguration = Benchmark.Configuration(
        metrics: metrics + [pairedSpeedUp], warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(8),
        maxIterations: 20)

    Benchmark(name(workload, "desync-lua 4 objects"), configuration: pairedConfiguration) { benchmark in
        guard let runtime = runtime(cpuPrelude, for: benchmark), run("warm_up()", in: runtime, for: benchmark)
        else { return }
        let serialFirst = cpuIterations.add(1, ordering: .relaxed).newValue % 2 == 0
        let clock = ContinuousClock()
        var serial = Duration.zero
        var serialSucceeded = true
        func runSerial() {
            serial = clock.measure { serialSucceeded = run("bench_cpu(1, \(spinSize))", in: runtime, for: benchmark) }
        }
        if serialFirst { runSerial() }
        let start = clock.now
        benchmark.startMeasurement()
        let succeeded = run("bench_cpu(4, \(spinSize))", in: runtime, for: benchmark)
        benchmark.stopMeasurement()
        let parallel = start.duration(to: clock.now)
        if !serialFirst { runSerial() }
        if succeeded && serialSucceeded {
            benchmark.measurement(pairedSpeedUp, Int((serial / parallel * 1000).rounded()))
            runtime.waitUntilIdle()
        }
    }

    Benchmark(name(workload, "desync-lua 1 object"), configuration: configuration) { benchmark in
        measure(benchmark, prelude: cpuPrelude, warmUp: "warm_up()", source: "bench_cpu(1, \(spinSize))")
    }
}
