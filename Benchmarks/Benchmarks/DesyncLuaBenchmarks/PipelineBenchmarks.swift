// Issue 16's pipeline workload: scripts/examples/pipeline.lua's three stages (a parser, a pricer
// and an aggregator, each an object fed by a pipe from a stream generator), on the default pool
// and on 1 thread; its peer is the same work in one plain serial Lua loop (lua/serial_pipeline.lua).

import Benchmark
import DesyncLua

/// Records per iteration of "lua pipeline of 20k records" (report.py's JOBS_PER_ITERATION).
let pipelineRecords = 20_000

/// `run()` of scripts/examples/pipeline.lua, checking its totals against the serial loop's.
let pipelinePrelude = """
    local ROWS = \(pipelineRecords)

    local function lines()
      local i = 0
      return desync.stream.from(function()
        i = i + 1
        if i <= ROWS then return string.format("%d,%d.%02d,%d", i, i % 97, i % 100, i % 7 + 1) end
      end, 4096)
    end

    local function run()
      local parser = desync.new({}, { name = "parse" })
      local pricer = desync.new({ tax = 0.2 }, { name = "transform" })
      local totals = desync.new({ count = 0, total = 0, biggest = 0 }, { name = "aggregate" })
      local records = parser:pipe(lines(), function(_, line)
        local id, price, quantity = line:match("^(%d+),([%d.]+),(%d+)$")
        return { id = tonumber(id), price = tonumber(price), quantity = tonumber(quantity) }
      end, 64)
      local costs = pricer:pipe(records, function(data, r)
        return { id = r.id, cost = r.price * r.quantity * (1 + data.tax) }
      end, 64)
      local done = totals:pipe_in(costs, function(data, c)
        data.count = data.count + 1
        data.total = data.total + c.cost
        if c.cost > data.biggest then data.biggest = c.cost end
      end)
      done:wait()
      return totals:sync(function(data) return data.count, data.total, data.biggest end)
    end

    local wantTotal, wantBiggest = 0, 0
    for i = 1, ROWS do
      local cost = tonumber(string.format("%d.%02d", i % 97, i % 100)) * (i % 7 + 1) * 1.2
      wantTotal = wantTotal + cost
      if cost > wantBiggest then wantBiggest = cost end
    end

    function bench_pipeline()
      local count, total, biggest = run()
      assert(count == ROWS, "only " .. count .. " records")
      assert(math.abs(total - wantTotal) < 1e-6 * wantTotal and biggest == wantBiggest, "wrong totals")
    end
    """

func pipelineBenchmarks() {
    let workload = "lua pipeline of 20k records"
    let configuration = Benchmark.Configuration(
        metrics: metrics, warmupIterations: 1, scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 20)
    for (implementation, threads) in [("desync-lua, default pool", nil), ("desync-lua, 1 thread", 1 as Int?)] {
        Benchmark(name(workload, implementation), configuration: configuration) { benchmark in
            measure(benchmark, prelude: pipelinePrelude, warmUp: "bench_pipeline()", source: "bench_pipeline()")
        } setup: {
            usePool(threads)
        } teardown: {
            restorePool()
        }
    }
}
