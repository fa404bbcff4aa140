-- Finding an ordering bug: two workers each add 1 to a shared counter object.
--
--   desync-lua scripts/examples/explore.lua                   the correct version: n = 2
--   desync-lua --explore 1000 scripts/examples/explore.lua    ... on 1000 seeded schedules
--   desync-lua --explore 100 scripts/examples/explore.lua racy
--       the racy version: stops at a schedule that loses an update and prints the command
--       that replays it, `desync-lua --simulate SEED scripts/examples/explore.lua racy`
--
-- Racy: a worker reads the counter in one `sync` and writes it back in another, and in between
-- it waits (desync.sleep(0) stands for any wait: a future, a stream, a timer), so other jobs
-- run. When the other worker's read falls in that gap, both write the same value.
-- Correct: the read-modify-write is one job of the counter, and nothing can fall in between.

local racy = (...) == "racy"

local counter = desync.new({ n = 0, log = {} }, { name = "counter" })

local function add_racy(worker, counter)
  local n = counter:sync(function(c, who)
    c.log[#c.log + 1] = who .. " read " .. c.n
    return c.n
  end, worker.name)
  desync.sleep(0)
  counter:sync(function(c, who, value)
    c.log[#c.log + 1] = who .. " wrote " .. value
    c.n = value
  end, worker.name, n + 1)
end

local function add(worker, counter)
  desync.sleep(0)
  counter:sync(function(c, who)
    c.n = c.n + 1
    c.log[#c.log + 1] = who .. " added " .. c.n
  end, worker.name)
end

local done = {}
for _, name in ipairs({ "a", "b" }) do
  local worker = desync.new({ name = name }, { name = name })
  done[#done + 1] = worker:future(racy and add_racy or add, counter)
end
for _, f in ipairs(done) do f:wait() end

local n, log = counter:sync(function(c) return c.n, table.concat(c.log, ", ") end)
-- The order of events: the same for a seed, run after run; different from seed to seed.
print(log)
print("n = " .. n)
assert(n == 2, "lost an update: n = " .. n)
