-- with 0 pool threads, async jobs run only when a sync or a wait reaches them
desync.scheduler.set_max_threads(0)
assert(desync.scheduler.max_threads() == 0)
local obj = desync.new({ ran = 0 })
for _ = 1, 10 do obj:async(function(d) d.ran = d.ran + 1 end) end
desync.sleep(0.05)
assert(obj:pending() == 10, "pending: " .. obj:pending())
assert(obj:sync(function(d) return d.ran end) == 10)
local f = obj:future(function(d) return d.ran * 2 end)
assert(not f:done())
assert(f:wait() == 20)
-- after with 0 threads: waiting on the after-future drives the first future's object too
local other = desync.new({})
local first = other:future(function() return 5 end)
local second = obj:after(first, function(_, v) return v + 1 end)
assert(second:wait(5) == 6)
local stats = desync.scheduler.stats()
assert(stats.threads_alive == 0, "threads alive: " .. stats.threads_alive)
desync.scheduler.set_max_threads(2)
