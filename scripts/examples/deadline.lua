-- Fan-out, fan-in with one deadline for the whole batch: start every part at once, take all the
-- results if they are all back in time, else keep what came back and cancel the rest.
-- (fetch.lua gives each part its own timeout instead.) The parts are jobs that wait
-- (desync.sleep stands for I/O), so they hold no thread: try `desync-lua -t 1 deadline.lua`.

-- Part i: a job that takes seconds[i], then returns i * i (or fails, for a negative time).
local function start(seconds)
  local parts = {}
  for i, s in ipairs(seconds) do
    parts[i] = desync.spawn(function(n, wait)
      desync.sleep(math.abs(wait))
      if wait < 0 then error("part " .. n .. " failed") end
      return n * n
    end, i, s)
  end
  return parts
end

-- All the parts' results by `deadline` seconds from now, or nil, "timeout" (the parts go on).
local function all_within(parts, deadline)
  local which, results = desync.any({ desync.all(parts), desync.timer(deadline) }):wait()
  if which == 2 then return nil, "timeout" end
  return results
end

-- 1. Every part is back in time: the list of results, in order.
local started = desync.clock()
local results = assert(all_within(start({ 0.25, 0.1, 0.3, 0.05, 0.2 }), 2.0))
local took = desync.clock() - started
print(("all 5 parts in %.0f ms: %s"):format(took * 1000, table.concat(results, " ")))
assert(#results == 5 and results[3] == 9 and results[5] == 25)
assert(took < 0.85, "the parts waited side by side (0.9 s one after another)")

-- 2. Two parts are too slow: keep the finished ones, cancel the rest (a job suspended in a wait
-- can be cancelled: its wait raises "cancelled" inside it).
local parts = start({ 0.01, 0.03, 5.0, 0.02, 9.0 })
local all, why = all_within(parts, 0.5)
assert(all == nil and why == "timeout")
local kept, cancelled = {}, 0
for i, part in ipairs(parts) do
  if part:done() then
    kept[#kept + 1] = ("%d=%d"):format(i, part:wait())
  elseif part:cancel() then
    cancelled = cancelled + 1
    assert(part:status() == "cancelled")
  end
end
print(("deadline passed: kept %s, cancelled %d"):format(table.concat(kept, " "), cancelled))
assert(#kept == 3 and cancelled == 2)

-- 3. A part that fails makes `all` fail with its error, as soon as it fails.
local failing = start({ 0.02, -0.01, 5.0 })
local ok, err = desync.all(failing):result()
assert(not ok and tostring(err):find("part 2 failed"), tostring(err))
print("a failed part: " .. tostring(err):match("[^\n]*"))
failing[3]:cancel()
