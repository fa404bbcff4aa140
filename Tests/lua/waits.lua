-- Waits: timed waits return by their deadline, 0-thread waits drive what feeds them or fail
-- loudly, pending counts are exact once a result is delivered.

local function elapsed(since) return desync.clock() - since end

-- A timed wait leaves a queued job to the pool instead of running it itself (it would return only
-- when the job ends): the only pool thread is busy, so the job waits in its queue.
desync.scheduler.set_max_threads(1)
local blocker = desync.new({}, { name = "blocker" })
blocker:async(function() desync.sleep(1.2) end)
desync.sleep(0.05)
local slow = desync.new({}, { name = "slow" })
local started = desync.clock()
local v, why = slow:future(function() desync.sleep(1) return "late" end):wait(0.2)
assert(v == nil and why == "timeout", tostring(v) .. " " .. tostring(why))
assert(elapsed(started) < 0.8, "a timed wait returned after " .. elapsed(started) .. " s")
started = desync.clock()
local ok, why2 = slow:future(function() return 1 end):result(0.1)
assert(ok == false and why2 == "timeout", tostring(ok) .. " " .. tostring(why2))
assert(elapsed(started) < 0.8, "result(s) returned after " .. elapsed(started) .. " s")
slow:sync(function() end)

-- With 0 threads a timed wait runs queued jobs only while time remains; a job it started runs
-- to its end.
desync.scheduler.set_max_threads(0)
local steps = desync.new({ n = 0 }, { name = "steps" })
for _ = 1, 5 do steps:async(function(data) desync.sleep(0.15) data.n = data.n + 1 end) end
started = desync.clock()
v, why = steps:future(function(data) return data.n end):wait(0.2)
assert(v == nil and why == "timeout")
local took = elapsed(started)
assert(took >= 0.2 and took < 0.6, "0 threads, timed wait took " .. took .. " s")
local ran = steps:try_sync(function(data) return data.n end)
assert(ran == false, "the rest is still queued")
assert(steps:pending() >= 3, "pending " .. steps:pending())
assert(steps:sync(function(data) return data.n end) == 5)

-- With 0 threads, a pipe_in fed by a job queued on another object: the wait drives the feeder.
local feeder = desync.new({}, { name = "feeder" })
local sink = desync.new({ sum = 0 }, { name = "sink" })
local numbers = desync.stream()
feeder:async(function(_, s) for i = 1, 10 do s:send(i) end s:close() end, numbers)
local done = sink:pipe_in(numbers, function(data, x) data.sum = data.sum + x end)
done:wait()
assert(sink:sync(function(data) return data.sum end) == 55)

-- With 0 threads, receiving from a bounded stream fed by a queued job: the job fills the stream
-- and suspends on its full send (holding no thread); each receive makes room, which resumes it on
-- the host's thread. Once the job is over nothing can ever send again: the host's next receive
-- on the empty stream fails instead of hanging.
local bounded = desync.stream(4)
local producer = desync.new({}, { name = "producer" })
local produced = producer:future(function(_, s) for i = 1, 10 do s:send(i) end end, bounded)
local got = {}
local okr, err = pcall(function()
    while true do got[#got + 1] = bounded:receive() end
end)
assert(not okr and tostring(err):find("never end"), tostring(err))
assert(#got == 10, "received " .. #got)
assert(produced:result() == true, "the producer's sends all went through")

-- pending() right after a result is delivered does not count the finished job.
desync.scheduler.set_max_threads(2)
local order = desync.new({}, { name = "order" })
for _ = 1, 300 do
    order:async(function() end)
    order:future(function() return 1 end):wait()
    assert(order:pending() == 0, "pending after wait: " .. order:pending())
    order:sync(function() end)
    assert(order:pending() == 0, "pending after sync: " .. order:pending())
end
