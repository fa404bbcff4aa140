-- with 0 pool threads nothing runs by itself: a host waiting on a stream runs what feeds it
desync.scheduler.set_max_threads(0)

-- host receive on a pipe's output drives the pipe
local doubler = desync.new({ calls = 0 }, { name = "doubler" })
local input = desync.stream()
local doubled = doubler:pipe(input, function(data, x) data.calls = data.calls + 1; return 2 * x end, 2)
for i = 1, 10 do input:send(i) end
desync.sleep(0.02)
assert(doubler:pending() == 1, "the pipe's job waits: " .. doubler:pending())
assert(doubled:receive(5) == 2)
for i = 2, 10 do assert(doubled:receive(5) == 2 * i) end
local v, why = doubled:receive(0.05)
assert(v == nil and why == "timeout")
input:close()
assert(doubled:receive(5) == nil and doubled:closed())

-- a chain of three pipes, driven from the end
local a, b, c = desync.new({}), desync.new({}), desync.new({ sum = 0 })
local words = desync.stream.from({ "1", "2", "3", "4", "5", "6" })
local nums = a:pipe(words, function(_, w) return tonumber(w) end, 1)
local squares = b:pipe(nums, function(_, x) return x * x end, 1)
local sums = c:pipe(squares, function(data, x) data.sum = data.sum + x; return data.sum end, 1)
local last
for s in sums:iter() do last = s end
assert(last == 91, tostring(last))

-- waiting on a pipe_in future drives the pipe
local sink = desync.new({ n = 0 })
local done = sink:pipe_in(desync.stream.from({ 1, 2, 3, 4 }), function(data, x) data.n = data.n + x end)
assert(not done:done())
done:wait(5)
assert(sink:sync(function(data) return data.n end) == 10)

-- a receive whose sender is a queued job on some object runs that job
local box = desync.stream()
desync.new({}):async(function(_, st) st:send("from a job") end, box)
assert(box:receive(5) == "from a job")

-- a host send on a full stream runs the queued pipe that drains it
local narrow = desync.stream(1)
local counter = desync.new({ n = 0 })
local counted = counter:pipe_in(narrow, function(data) data.n = data.n + 1 end)
for i = 1, 5 do narrow:send(i) end
narrow:close()
counted:wait(5)
assert(counter:sync(function(data) return data.n end) == 5)

-- an `after` on a pipe_in future, on another object: a sync behind the `after`, or a wait on
-- its future, runs the pipe (more items than one of its jobs takes)
local ones = {}
for i = 1, 300 do ones[i] = 1 end
local piped = desync.new({ n = 0 })
local pf = piped:pipe_in(desync.stream.from(ones), function(d, x) d.n = d.n + x end)
local watcher = desync.new({})
local chained = watcher:after(pf, function() return "after the pipe" end)
assert(pf:status() == "running")
assert(watcher:sync(function() return "behind the after" end) == "behind the after")
assert(chained:wait(5) == "after the pipe" and pf:status() == "done")
assert(piped:sync(function(d) return d.n end) == 300)
local later = desync.new({ n = 0 })
local lf = later:pipe_in(desync.stream.from({ 1, 2, 3 }), function(d, x) d.n = d.n + x end)
assert(desync.new({}):after(lf, function() return "then" end):wait(5) == "then")
assert(later:sync(function(d) return d.n end) == 6)

assert(desync.scheduler.stats().threads_alive == 0)
desync.scheduler.set_max_threads(2)
