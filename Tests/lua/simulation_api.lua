-- desync.scheduler.simulate(seed [, {pct = depth, steps = n}]) and is_simulated() (issue 15):
-- bad arguments and bad moments are Lua errors; after a good call the rest runs simulated.
local scheduler = desync.scheduler

local function fails(pattern, ...)
  local ok, err = pcall(scheduler.simulate, ...)
  assert(not ok, "simulate should have failed: " .. pattern)
  assert(tostring(err):find(pattern, 1, true), "expected '" .. pattern .. "' in: " .. tostring(err))
  assert(not scheduler.is_simulated(), "a refused simulate left the scheduler simulating")
end

assert(scheduler.is_simulated() == false)
assert(scheduler.stats().simulated == nil)

-- the seed: an integer, 0 or more
fails("seed must be an integer, 0 or more (got no value)")
fails("seed must be an integer, 0 or more (got nil)", nil)
fails("seed must be an integer, 0 or more (got -1)", -1)
fails("seed must be an integer, 0 or more (got 1.5)", 1.5)
fails("seed must be an integer, 0 or more (got 2.0)", 2.0)
fails("seed must be an integer, 0 or more (got string)", "3")
fails("seed must be an integer, 0 or more (got table)", {})

-- the options
fails("bad argument #2 to 'simulate' (table expected, got number)", 1, 5)
fails("unknown option 'pc'", 1, { pc = 2 })
fails("unknown option key of type number", 1, { 2 })
fails("option 'pct' must be an integer, 1 or more (got 0)", 1, { pct = 0 })
fails("option 'pct' must be an integer, 1 or more (got -1)", 1, { pct = -1 })
fails("option 'pct' must be an integer, 1 or more (got 1.5)", 1, { pct = 1.5 })
fails("option 'pct' must be an integer, 1 or more (got string)", 1, { pct = "2" })
fails("option 'steps' must be an integer, 1 or more (got 0)", 1, { pct = 2, steps = 0 })
fails("option 'steps' needs option 'pct'", 1, { steps = 10 })
-- options are read raw: a metatable's __index is not consulted
fails("option 'steps' needs option 'pct'", 1, setmetatable({ steps = 10 }, { __index = function() error("ran") end }))

-- only the host may start a simulation, not a job
local worker = desync.new({}, { name = "worker" })
local ok, err = worker:sync(function() return pcall(desync.scheduler.simulate, 1) end)
assert(not ok and err:find("only the host script can start a simulation", 1, true), tostring(err))
assert(not scheduler.is_simulated())

-- not while work is queued, running or waiting: the core's reason is passed on
local gate = desync.stream()
worker:async(function(_, g) g:receive() end, gate)
fails("cannot simulate: work is queued, running or waiting", 7)
gate:send(true)
worker:sync(function() end)
-- the job's thread may still be between jobs: wait until the pool is idle
local deadline = desync.clock() + 10
while scheduler.stats().threads_busy > 0 and desync.clock() < deadline do desync.sleep(0.001) end

-- now it starts; the rest runs simulated
scheduler.simulate(7, { pct = 2, steps = 50 })
assert(scheduler.is_simulated() == true)
assert(scheduler.max_threads() == 0)
local simulated = scheduler.stats().simulated
assert(simulated.seed == 7 and simulated.pct == 2 and simulated.pct_steps == 50, desync.show(simulated))
assert(math.type(simulated.steps) == "integer")

-- work still runs, on this thread
local counter = desync.new({ n = 0 }, { name = "counter" })
local futures = {}
for i = 1, 5 do
  futures[i] = desync.new({}):future(function(_, c) c:sync(function(d) d.n = d.n + 1 end) end, counter)
end
for _, f in ipairs(futures) do f:wait() end
assert(counter:sync(function(d) return d.n end) == 5)
assert(scheduler.stats().simulated.steps > simulated.steps, "no picks counted")

-- once is enough
fails = nil
local again, message = pcall(scheduler.simulate, 8)
assert(not again and message:find("simulates already", 1, true), message)

-- a pool size other than 0 is refused, by a Lua error rather than a stopped program
local set, why = pcall(scheduler.set_max_threads, 2)
assert(not set and why:find("a simulated schedule runs on one thread", 1, true), why)
scheduler.set_max_threads(0)
assert(scheduler.max_threads() == 0)
