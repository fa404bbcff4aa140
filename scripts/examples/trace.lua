-- Tracing a fan-out: which job ran on which thread, and when.
-- Writes a Chrome Trace Event file (open it in https://ui.perfetto.dev or chrome://tracing)
-- and prints a text timeline: one row per thread, one letter per object.
-- Usage: scripts/desync-lua scripts/examples/trace.lua [trace.json]

local path = arg and arg[1] or "trace.json"

local function busy(_, n)          -- a little CPU work
  local x = 0
  for i = 1, n do x = x + i % 3 end
  return x
end

local workers = {}
for i = 1, 4 do workers[i] = desync.new({}, { name = "worker" .. i }) end
local collector = desync.new({ total = 0 }, { name = "collector" })
for i = 1, 4 do workers[i]:sync(busy, 1) end   -- create the states before tracing

desync.trace.start()
local futures = {}
for round = 1, 3 do
  for i = 1, 4 do
    futures[#futures + 1] = workers[i]:future(busy, 200000)
  end
end
for _, f in ipairs(futures) do
  local value = f:wait()
  collector:async(function(data, v) data.total = data.total + v end, value)
end
local total = collector:sync(function(data) return data.total end)
local events = desync.trace.stop()

assert(#events == #futures + #futures + 1, "events: " .. #events)
assert(desync.trace.save(path))
print(string.format("%d jobs traced, total %d; Chrome trace written to %s", #events, total, path))
print(desync.trace.timeline(60))
