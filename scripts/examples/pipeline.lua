-- A three-stage pipeline over streams: parse lines into records, transform them, aggregate.
-- Each stage is a desync object fed by a pipe, so the stages run in parallel, each in order;
-- `depth` bounds how far a stage may run ahead of the next.
-- Try: scripts/desync-lua scripts/examples/pipeline.lua

local ROWS = 20000

-- "id,price,quantity" lines, made on the fly by a generator as the pipeline takes them. The
-- generator is a function of this script's state, so only this state can call it: while the
-- script waits (done:wait() below), it tops the stream up, at most 4096 lines ahead of the
-- parser, every time its wait looks up (every 50 ms at most). A small window would leave the
-- parser idle between top-ups; the stream never holds more than the window.
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

-- The same numbers, computed in the script itself, to check the pipeline's result.
local function expected()
  local total, biggest = 0, 0
  for i = 1, ROWS do
    local cost = tonumber(string.format("%d.%02d", i % 97, i % 100)) * (i % 7 + 1) * 1.2
    total = total + cost
    if cost > biggest then biggest = cost end
  end
  return total, biggest
end

local wantTotal, wantBiggest = expected()
local default = desync.scheduler.max_threads()
for _, threads in ipairs({ 1, default }) do
  desync.scheduler.set_max_threads(threads)
  local start = desync.clock()
  local count, total, biggest = run()
  local elapsed = desync.clock() - start
  print(string.format("%d threads: %d records, total %.2f, biggest %.2f, in %.1f ms",
    threads, count, total, biggest, elapsed * 1000))
  assert(count == ROWS, count)
  assert(math.abs(total - wantTotal) < 1e-6 * wantTotal, total)
  assert(biggest == wantBiggest, biggest)
end
desync.scheduler.set_max_threads(default)
