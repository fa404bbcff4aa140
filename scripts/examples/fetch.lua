-- Fan-out with a timeout: "fetch" 8 pages in parallel, each a job that waits (desync.sleep stands
-- for the network), and give up on those not back within a deadline. Waiting jobs hold no thread,
-- so this takes about one fetch even on a 1-thread pool (try `desync-lua -t 1 fetch.lua`).

local latency = { 0.05, 0.10, 0.02, 0.30, 0.08, 0.50, 0.04, 0.06 }   -- seconds, one per page
local deadline = 0.2

local started = desync.clock()
local results = {}
for i, seconds in ipairs(latency) do
  local page = desync.spawn(function(n, s) desync.sleep(s) return ("page %d (%.0f ms)"):format(n, s * 1000) end, i, seconds)
  -- Whichever comes first: the page, or the timer. `any` says which (1 or 2).
  results[i] = desync.any({ page, desync.timer(deadline) })
end

local got, late = 0, 0
for i, result in ipairs(results) do
  local which, page = result:wait()
  if which == 1 then
    got = got + 1
    print(page)
  else
    late = late + 1
    print(("page %d: no answer within %.0f ms"):format(i, deadline * 1000))
  end
end

local took = desync.clock() - started
print(("%d pages, %d timed out, in %.2f s"):format(got, late, took))
assert(got == 6 and late == 2, "the two slow pages time out")
assert(took < deadline + 1.0, "the fetches waited side by side, not one after another")
