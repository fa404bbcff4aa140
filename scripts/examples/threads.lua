-- A scheduler experiment: the same CPU-bound work (8 jobs on 8 objects) on pools of 1, 2 and 4
-- threads, each run traced and drawn as a timeline (a row per thread, a letter per object).
-- With 1 thread the jobs run one after another; with more they share the CPUs the machine has
-- (how much faster depends on its cores and on what else runs: the script prints, and does not
-- assert, the times).

local JOBS, WORK = 8, 1000000

local function busy(_, n)
  local x = 0
  for i = 1, n do x = x + i % 7 end
  return x
end

local workers = {}
for i = 1, JOBS do workers[i] = desync.new({}, { name = "w" .. i }) end
for _, w in ipairs(workers) do w:sync(busy, 1) end     -- make the states before timing

local previous = desync.scheduler.max_threads()
local expected = busy(nil, WORK)
local times = {}
for _, threads in ipairs({ 1, 2, 4 }) do
  desync.scheduler.set_max_threads(threads)
  desync.trace.start()
  local started = desync.clock()
  local futures = {}
  for i, w in ipairs(workers) do futures[i] = w:future(busy, WORK) end
  -- A wait with a timeout leaves queued jobs to the pool (a wait without one would run them on
  -- this thread when no pool thread does, and the experiment would measure one thread more).
  for _, f in ipairs(futures) do assert(f:wait(60) == expected) end
  times[threads] = desync.clock() - started
  local events = desync.trace.stop()

  -- Checks on the trace: every job is there, run by the pool, on no more threads than allowed,
  -- and with one thread never two at once.
  assert(#events == JOBS, #events)
  local poolThreads, poolJobs = {}, {}
  for _, e in ipairs(events) do
    assert(e.pool, "a job ran on the script's thread")
    poolThreads[e.thread] = true
    poolJobs[#poolJobs + 1] = e
  end
  local distinct = 0
  for _ in pairs(poolThreads) do distinct = distinct + 1 end
  assert(distinct <= threads, ("%d pool threads ran jobs on a pool of %d"):format(distinct, threads))
  if threads == 1 then
    table.sort(poolJobs, function(a, b) return a.started < b.started end)
    for i = 2, #poolJobs do assert(poolJobs[i].started >= poolJobs[i - 1].finished, "jobs overlapped on 1 thread") end
  end

  print(("%d thread%s: %.0f ms"):format(threads, threads == 1 and "" or "s", times[threads] * 1000))
  print(desync.trace.timeline(60))
end
desync.scheduler.set_max_threads(previous)
print(("speed-up with 2 threads %.2fx, with 4 threads %.2fx"):format(times[1] / times[2], times[1] / times[4]))
