-- sync as a replacement for a mutex: 4 workers each add 1000 to one shared counter.
-- The counter object serialises the increments; no lock, no lost update.

local counter = desync.new({ n = 0 }, { name = "counter" })
local workers = {}
for w = 1, 4 do
  workers[w] = desync.new({ id = w }, { name = "worker " .. w })
end

local done = {}
for w = 1, 4 do
  -- The counter handle crosses into each worker's job by reference.
  done[w] = workers[w]:future(function(_, counter)
    for _ = 1, 1000 do
      counter:sync(function(c) c.n = c.n + 1 end)
    end
  end, counter)
end
for w = 1, 4 do done[w]:wait() end

local total = counter:sync(function(c) return c.n end)
print("total", total)
assert(total == 4000)
