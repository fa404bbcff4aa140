// The Lua workloads of issue 14 (jobs that wait without holding a thread): jobs that sleep, a
// job suspending and resuming, `other:sync` from inside jobs, and what a suspended job costs in
// memory. The jobs are function literals at the call site, the shape users write (each literal
// is a new closure, so its code crosses every time; a hoisted function crosses once).

import Benchmark
import CHeapInUse
import Desync
import DesyncLua
import Glibc
import Synchronization

func suspendBenchmarks() {
    sleepingJobs()
    suspendAndResume()
    syncHops()
    suspendedJobMemory()
}

/// A Lua failure in a benchmark's setup (ordo-one reports it and skips the benchmark).
struct LuaSetupError: Error, CustomStringConvertible {
    let description: String
}

/// A runtime kept for all the iterations of one benchmark, set up by `prelude` and `warmUp` in
/// the benchmark's setup hook: the workloads of 10,000 objects would otherwise spend seconds per
/// iteration making and warming up 10,000 Lua states, and as long again closing them.
func sharedRuntime(_ prelude: String, warmUp: String) throws -> LuaRuntime {
    let runtime = LuaRuntime()
    if let error = runtime.execute(prelude, name: "=prelude") ?? runtime.execute(warmUp, name: "=warm-up") {
        throw LuaSetupError(description: "Lua setup failed: \(error)")
    }
    return runtime
}

/// The pool size before a benchmark changed it, for its teardown (each benchmark runs in a
/// process of its own, but a run of the executable by hand runs them all in one).
let threadsBefore = Atomic(-1)

/// Sets the shared scheduler's pool to `threads` (nil: leave it), remembering the size before.
func usePool(_ threads: Int?) {
    guard let threads else { return }
    threadsBefore.store(Scheduler.shared.maxThreads, ordering: .relaxed)
    Scheduler.shared.maxThreads = threads
}

/// Puts back the pool size `usePool` changed.
func restorePool() {
    let before = threadsBefore.exchange(-1, ordering: .relaxed)
    if before >= 0 { Scheduler.shared.maxThreads = before }
}

// MARK: - 10,000 objects, each with a job that sleeps 0.1 s

/// Objects (and jobs) per iteration of "lua 10k jobs sleeping 0.1 s" (report.py's
/// JOBS_PER_ITERATION); the luv peer (luv_sleep.lua) runs as many coroutines.
let sleepingJobCount = 10_000

/// Every object runs one job that sleeps 0.1 s; the iteration ends when `desync.all` of their
/// futures is done. Suspended, the jobs hold no thread, so even one thread runs them all at once.
let sleepPrelude = """
    local objects = {}
    for i = 1, \(sleepingJobCount) do objects[i] = desync.new({}, { name = "bench.sleep" .. i }) end

    function bench_sleep(seconds)
        local futures = {}
        for i = 1, #objects do
            futures[i] = objects[i]:future(function(_, s) desync.sleep(s) return 1 end, seconds)
        end
        local ones = desync.all(futures):wait()
        local count = 0
        for i = 1, #ones do count = count + ones[i] end
        assert(count == #objects, "only " .. count .. " jobs finished")
    end
    """

func sleepingJobs() {
    let workload = "lua 10k jobs sleeping 0.1 s"
    let configuration = Benchmark.Configuration(
        metrics: metrics, warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 20)
    for (implementation, threads) in [("desync-lua, default pool", nil), ("desync-lua, 1 thread", 1 as Int?)] {
        Benchmark(name(workload, implementation), configuration: configuration) { benchmark, runtime in
            benchmark.startMeasurement()
            let succeeded = run("bench_sleep(0.1)", in: runtime, for: benchmark)
            benchmark.stopMeasurement()
            if succeeded { runtime.waitUntilIdle() }
        } setup: {
            usePool(threads)
            // Every object's state exists (a short sleep: the first job of a state makes it).
            return try sharedRuntime(sleepPrelude, warmUp: "bench_sleep(0.001)")
        } teardown: {
            restorePool()
        }
    }
}

// MARK: - a job suspending and resuming

/// A job on `a` that, `count` times, waits for a short job just queued on `b`: a future that is
/// not done yet, so the job suspends until it is (`suspend`), against the same job calling
/// `b:sync` with the same function, which `b` runs at once, inline, since it is idle (`inline`).
/// The difference between the two is the suspend and resume (and the future). With 0 pool
/// threads every wait suspends and the host's own wait runs `b`'s job and resumes `a`'s, one
/// thread, no luck involved; on the default pool `b`'s job and the resumed job run on pool threads.
let suspendPrelude = """
    local a = desync.new({}, { name = "bench.a" })
    local b = desync.new({ n = 0 }, { name = "bench.b" })

    local function check(sum, count)
        assert(sum == count * (count + 1) // 2, "wrong sum " .. sum)
    end

    function bench_suspend(count)
        check(a:sync(function(_, b, count)
            local sum = 0
            for i = 1, count do
                sum = sum + b:future(function(data, i) data.n = data.n + 1 return i end, i):wait()
            end
            return sum
        end, b, count), count)
    end

    function bench_inline(count)
        check(a:sync(function(_, b, count)
            local sum = 0
            for i = 1, count do
                sum = sum + b:sync(function(data, i) data.n = data.n + 1 return i end, i)
            end
            return sum
        end, b, count), count)
    end
    """

func suspendAndResume() {
    let workload = "lua suspend and resume"
    let configuration = Benchmark.Configuration(
        metrics: metrics, warmupIterations: 3, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 10_000)
    let rows: [(String, String, Int?)] = [
        ("desync-lua b:future(f):wait() in a job (suspends), 0 threads", "bench_suspend", 0),
        ("desync-lua b:sync(f) in a job (inline, no suspend), 0 threads", "bench_inline", 0),
        ("desync-lua b:future(f):wait() in a job (suspends), default pool", "bench_suspend", nil),
        ("desync-lua b:sync(f) in a job (inline, no suspend), default pool", "bench_inline", nil),
    ]
    for (implementation, function, threads) in rows {
        Benchmark(name(workload, implementation), configuration: configuration) { benchmark in
            measure(benchmark, prelude: suspendPrelude, warmUp: "\(function)(10)",
                    source: "\(function)(\(benchmark.scaledIterations.count))")
        } setup: {
            usePool(threads)
        } teardown: {
            restorePool()
        }
    }
}

// MARK: - other:sync from inside jobs

/// Hops per iteration of "lua 10k sync hops from jobs" (report.py's JOBS_PER_ITERATION).
let hopCount = 10_000
/// Hops per lap of the chain: a lap is that many nested syncs, one object after the other.
let chainLength = 100

/// Each hop is a job calling `other:sync` on the next object. `bench_chain`: a job on the first
/// object of a chain of `chainLength + 1` calls `hop`, which syncs the next object with `hop`,
/// and so on down the chain (each job waits for the rest of the chain), `laps` times (not 10,000
/// deep at once: each nested sync takes a few KB of the thread's stack). `bench_ping_pong`: a job
/// on A syncs B with a function literal 10,000 times; `bench_ping_pong_hoisted`, with one function
/// made before the loop (its code crosses once), shows what the literal costs. The objects are
/// idle, so every sync runs its job at once on the calling thread (no suspension).
let hopPrelude = """
    local chain = {}
    for i = 1, \(chainLength + 1) do chain[i] = desync.new({}, { name = "bench.chain" .. i }) end
    for i = 1, \(chainLength) do
        chain[i]:sync(function(data, next) data.next = next end, chain[i + 1])
    end
    local a = desync.new({}, { name = "bench.a" })
    local b = desync.new({ n = 0 }, { name = "bench.b" })

    function bench_chain(laps)
        local hops = chain[1]:sync(function(data, laps, length)
            local function hop(data, left)
                if left == 0 then return 0 end
                return data.next:sync(hop, left - 1) + 1
            end
            local hops = 0
            for _ = 1, laps do hops = hops + hop(data, length) end
            return hops
        end, laps, \(chainLength))
        assert(hops == laps * \(chainLength), "wrong hop count " .. hops)
    end

    function bench_ping_pong(count)
        local sum = a:sync(function(_, b, count)
            local sum = 0
            for i = 1, count do
                sum = sum + b:sync(function(data, i) data.n = data.n + 1 return i end, i)
            end
            return sum
        end, b, count)
        assert(sum == count * (count + 1) // 2, "wrong sum " .. sum)
    end

    function bench_ping_pong_hoisted(count)
        local sum = a:sync(function(_, b, count)
            local function f(data, i) data.n = data.n + 1 return i end
            local sum = 0
            for i = 1, count do sum = sum + b:sync(f, i) end
            return sum
        end, b, count)
        assert(sum == count * (count + 1) // 2, "wrong sum " .. sum)
    end
    """

func syncHops() {
    let workload = "lua 10k sync hops from jobs"
    let configuration = Benchmark.Configuration(
        metrics: metrics, warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 50)

    Benchmark(name(workload, "desync-lua chain of \(chainLength + 1) objects, \(chainLength) nested syncs a lap"),
              configuration: configuration) { benchmark in
        measure(benchmark, prelude: hopPrelude, warmUp: "bench_chain(1)", source: "bench_chain(\(hopCount / chainLength))")
    }

    Benchmark(name(workload, "desync-lua 2 objects, a job on A syncs B"), configuration: configuration) { benchmark in
        measure(benchmark, prelude: hopPrelude, warmUp: "bench_ping_pong(10)", source: "bench_ping_pong(\(hopCount))")
    }

    Benchmark(name(workload, "desync-lua 2 objects, a job on A syncs B, f hoisted"), configuration: configuration) { benchmark in
        measure(benchmark, prelude: hopPrelude, warmUp: "bench_ping_pong_hoisted(10)",
                source: "bench_ping_pong_hoisted(\(hopCount))")
    }
}

// MARK: - what a suspended job costs in memory

/// Objects (and suspended jobs) per iteration of "lua suspended job memory".
let suspendedJobCount = 10_000

/// Bytes per suspended job, beyond its idle object: the process's heap in use (glibc's
/// `mallinfo2`: the Swift side and the Lua states alike; the resident set says little, since
/// the jobs reuse memory the idle objects' garbage collection freed) and the objects' Lua states
/// alone (`obj:memory()`). Taken from the idle objects (their garbage collected) to the same
/// objects each with one job suspended in `s:receive()` (the host's garbage collected too: the
/// closures its loop made are not the jobs').
let heapPerSuspendedJob = BenchmarkMetric.custom("heap bytes per suspended job", polarity: .prefersSmaller, useScalingFactor: false)
let luaPerSuspendedJob = BenchmarkMetric.custom("Lua state bytes per suspended job", polarity: .prefersSmaller, useScalingFactor: false)

/// `bench_idle` collects every state's garbage and makes the stream; the timed `bench_suspend_all`
/// queues one job per object that receives from it, and returns when all of them are suspended;
/// `bench_release` closes the stream, so every receive returns nil and the jobs end.
let memoryPrelude = """
    local objects = {}
    for i = 1, \(suspendedJobCount) do objects[i] = desync.new({}, { name = "bench.memory" .. i }) end
    local stream

    function bench_idle()
        for i = 1, #objects do objects[i]:async(function() collectgarbage() end) end
        for i = 1, #objects do objects[i]:sync(function() end) end
        stream = desync.stream()
        collectgarbage()
    end

    function bench_suspend_all()
        for i = 1, #objects do
            objects[i]:async(function(_, s) s:receive() end, stream)
        end
        while desync.scheduler.stats().suspended_jobs < #objects do desync.sleep(0.0005) end
    end

    function bench_release()
        stream:close()
        for i = 1, #objects do objects[i]:sync(function() end) end
        assert(desync.scheduler.stats().suspended_jobs == 0, "jobs still suspended")
    end
    """

/// Bytes of heap in use (glibc: the arenas' allocated chunks and the mmapped ones).
func heapInUse() -> Int {
    Int(heap_in_use())
}

/// The bytes the runtime's objects' Lua states hold.
func luaStateBytes(_ runtime: LuaRuntime) -> Int {
    runtime.liveObjects().reduce(0) { $0 + $1.memory }
}

func suspendedJobMemory() {
    let workload = "lua suspended job memory"
    let configuration = Benchmark.Configuration(
        metrics: metrics + [heapPerSuspendedJob, luaPerSuspendedJob], warmupIterations: 1,
        scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 10)

    Benchmark(name(workload, "desync-lua 10k jobs suspended in s:receive()"), configuration: configuration) { benchmark, runtime in
        guard run("bench_idle()", in: runtime, for: benchmark) else { return }
        let heap = heapInUse(), lua = luaStateBytes(runtime)
        benchmark.startMeasurement()
        let succeeded = run("bench_suspend_all()", in: runtime, for: benchmark)
        benchmark.stopMeasurement()
        guard succeeded, run("collectgarbage()", in: runtime, for: benchmark) else { return }
        benchmark.measurement(heapPerSuspendedJob, (heapInUse() - heap) / suspendedJobCount)
        benchmark.measurement(luaPerSuspendedJob, (luaStateBytes(runtime) - lua) / suspendedJobCount)
        _ = run("bench_release()", in: runtime, for: benchmark)
    } setup: {
        try sharedRuntime(memoryPrelude, warmUp: "bench_idle()")
    }
}
