-- Objects are closed once nothing refers to them, whatever their last job did: an object whose
-- last job suspended (waited on a timer, a future, another object) was kept alive by its job's
-- cancel request, and, with 0 pool threads, one whose jobs a waiting caller ran was kept on the
-- scheduler's ready list. A finalizer in each object's state tells when the state is closed.

local closed = desync.stream(100000)

local function marked()
  local o = desync.new({})
  o:sync(function(data, closed) setmetatable(data, { __gc = function() closed:send(1) end }) end, closed)
  return o
end

local function wait_closed(expected, what)
  -- States are closed by whichever thread drops the object last: wait, bounded.
  local seen = 0
  for _ = 1, 500 do
    collectgarbage()
    collectgarbage()
    while seen < expected and closed:receive(0.01) do seen = seen + 1 end
    if seen == expected then return end
  end
  error(what .. ": " .. (expected - seen) .. " of " .. expected .. " objects were never closed")
end

local other = desync.new({})
local shapes = {
  sleep = function() desync.sleep(0) end,
  timer = function() desync.timer(0.001):wait() end,
  future = function(_, o) o:future(function() return 1 end):wait() end,
  sync = function(_, o) o:sync(function() return 1 end) end,
  result = function(_, o) o:future(function() return 1 end):result(5) end,
}
for name, job in pairs(shapes) do
  for _ = 1, 20 do marked():future(job, other):wait() end
  wait_closed(20, name)
end

-- With 0 pool threads, the host runs the jobs itself.
local threads = desync.scheduler.max_threads()
desync.scheduler.set_max_threads(0)
for _ = 1, 20 do
  marked():future(function() return 1 end):wait()
  local o = marked()
  o:async(function() end)
  o:sync(function() end)
end
wait_closed(40, "0 threads")
desync.scheduler.set_max_threads(threads)
print("released objects: ok")
