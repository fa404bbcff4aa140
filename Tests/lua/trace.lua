-- tracing: 2 objects x 3 jobs give exactly the expected events, in per-object order
local function run_known_script()
  local first = desync.new({}, { name = "first" })
  local second = desync.new({}, { name = "second" })
  desync.trace.start()
  first:async(function() end)
  second:async(function() end)
  local f = first:future(function() return 1 end)
  second:async(function() end)
  first:sync(function() end)
  second:sync(function() end)
  f:wait()
  return desync.trace.stop()
end

for _, threads in ipairs({ 2, 0 }) do
  desync.scheduler.set_max_threads(threads)
  local events = run_known_script()
  assert(#events == 6, threads .. " threads: " .. #events .. " events")
  local kinds = { first = {}, second = {} }
  for _, e in ipairs(events) do
    local list = kinds[e.object]
    list[#list + 1] = e.kind
    assert(e.queued <= e.started and e.started <= e.finished)
    assert(math.type(e.thread) == "integer" and type(e.pool) == "boolean")
    if threads == 0 then assert(e.pool == false, "0 threads: a job ran on a pool thread") end
  end
  assert(table.concat(kinds.first, ",") == "async,future,sync", table.concat(kinds.first, ","))
  assert(table.concat(kinds.second, ",") == "async,async,sync", table.concat(kinds.second, ","))
  -- the timeline names both objects (letters go by first start, which the pool may swap)
  local picture = desync.trace.timeline(40)
  assert(picture:find("[AB] = first") and picture:find("[AB] = second"), picture)
  assert(picture:find("idle", 1, true))
end
desync.scheduler.set_max_threads(2)

-- tracing off adds no events
local quiet = desync.new({}, { name = "quiet" })
desync.trace.start()
local none = desync.trace.stop()
quiet:sync(function() end)
assert(#none == 0)
desync.trace.start()
assert(#desync.trace.stop() == 0)

-- save writes Chrome Trace JSON; a bad path is nil, message
desync.trace.start()
quiet:sync(function() end)
local path = os.tmpname()
assert(desync.trace.save(path) == true)
desync.trace.stop()
local file = assert(io.open(path))
local json = file:read("a")
file:close()
os.remove(path)
assert(json:find('"traceEvents"', 1, true) and json:find('"name":"quiet"', 1, true), json)
local ok, message = desync.trace.save("/nonexistent-dir/x/trace.json")
assert(ok == nil and message:find("nonexistent", 1, true))
-- misuse
assert(not pcall(desync.trace.save, 42))
assert(not pcall(desync.trace.timeline, 3))
assert(not pcall(desync.trace.timeline, "wide"))
