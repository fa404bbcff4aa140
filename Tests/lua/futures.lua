-- futures from many objects, status, result, wait with a timeout, cancel
local objects, futures = {}, {}
for i = 1, 50 do
  objects[i] = desync.new({ id = i })
  futures[i] = objects[i]:future(function(data) return data.id * 2 end)
end
local total = 0
for i = 1, 50 do total = total + futures[i]:wait() end
assert(total == 2550, total)
for i = 1, 50 do
  assert(futures[i]:done() and futures[i]:status() == "done")
  local ok, v = futures[i]:result()
  assert(ok and v == i * 2)
end

-- a job that fails: wait raises, result reports
local obj = desync.new({})
local failing = obj:future(function() error("bad thing") end)
local ok, err = failing:result()
assert(ok == false and err:find("bad thing", 1, true), err)
assert(failing:status() == "failed")
local ok2, err2 = pcall(failing.wait, failing)
assert(not ok2 and err2:find("bad thing", 1, true))
-- table errors come back as tables
local tabled = obj:future(function() error({ code = 7 }) end)
local ok3, e3 = tabled:result()
assert(not ok3 and type(e3) == "table" and e3.code == 7)

-- a timeout while the job cannot start; cancel before it starts
local blocker = desync.new({})
local flag = desync.new({ started = false })
blocker:async(function(_, flag)
  flag:sync(function(d) d.started = true end)
  desync.sleep(0.3)
end, flag)
-- once a pool thread runs the blocker, waiting cannot take its queue over
while not flag:sync(function(d) return d.started end) do desync.sleep(0.001) end
local late = blocker:future(function() return "late" end)
local v, why = late:wait(0.01)
assert(v == nil and why == "timeout", tostring(v))
local doomed = blocker:future(function() return "never" end)
assert(doomed:cancel() == true)
assert(doomed:status() == "cancelled" and doomed:done())
assert(late:wait(10) == "late")
assert(late:cancel() == false)
