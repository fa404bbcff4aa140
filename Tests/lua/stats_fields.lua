-- desync.scheduler.stats() has what :stats shows: jobs by kind, the longest queue's object (issue 18)
local before = desync.scheduler.stats()
assert(type(before.jobs_by_kind) == "table", "no jobs_by_kind")
for _, kind in ipairs({ "sync", "async", "future", "after", "pipe" }) do
  assert(math.type(before.jobs_by_kind[kind]) == "integer", "jobs_by_kind." .. kind)
end
local obj = desync.new({}, { name = "kinds" })
obj:sync(function() end)
obj:async(function() end)
local f = obj:future(function() return 1 end)
obj:after(f, function() end):wait()
local after = desync.scheduler.stats()
local by = after.jobs_by_kind
assert(by.sync - before.jobs_by_kind.sync == 1, "sync " .. by.sync)
assert(by.async - before.jobs_by_kind.async == 1, "async " .. by.async)
assert(by.future - before.jobs_by_kind.future == 1, "future " .. by.future)
assert(by.after - before.jobs_by_kind.after == 1, "after " .. by.after)
local total = 0
for _, n in pairs(by) do total = total + n end
assert(total == after.jobs_run, "jobs_by_kind adds up to " .. total .. ", jobs_run is " .. after.jobs_run)
assert(math.type(after.jobs_by_callers) == "integer" and after.jobs_by_callers <= after.jobs_run)
-- every thread is busy, idle or between jobs
assert(after.threads_busy + after.threads_idle + after.threads_between == after.threads_alive)
-- the longest queue is named
local gate = desync.stream()
local busy = desync.new({}, { name = "busiest" })
for _ = 1, 3 do busy:async(function(_, g) g:receive() end, gate) end
local snapshot = desync.scheduler.stats()
assert(snapshot.longest_queue == 3 and snapshot.longest_queue_object == "busiest",
  tostring(snapshot.longest_queue_object))
for _ = 1, 3 do gate:send(1) end
busy:sync(function() end)
assert(desync.scheduler.stats().longest_queue_object == nil)
-- a snapshot right after a wait is consistent: the object whose job the wait ran is not counted
-- as a queue waiting for a thread (a worker woken for it may not have looked yet)
for _ = 1, 200 do
  local quick = desync.new({})
  quick:future(function() return 1 end):wait()
  local now = desync.scheduler.stats()
  assert(now.ready_queues == 0, "ready_queues " .. now.ready_queues .. " right after a wait")
end
