-- Jobs that wait without holding a thread (issue 14): waits inside a job suspend it; its object's
-- queue stays held (order kept), other objects' jobs run, even on a 1-thread pool.

local function elapsed(since) return desync.clock() - since end

for _, threads in ipairs({ 0, 1, 4 }) do
    desync.scheduler.set_max_threads(threads)
    -- Order: a job that sleeps keeps its object's later jobs behind it.
    local o = desync.new({ log = {} }, { name = "ordered" })
    o:async(function(d) d.log[#d.log + 1] = "a1"; desync.sleep(0.02); d.log[#d.log + 1] = "a2" end)
    o:async(function(d) d.log[#d.log + 1] = "b" end)
    local f = o:future(function(d) desync.sleep(0.01); d.log[#d.log + 1] = "c"; return #d.log end)
    assert(f:wait() == 4, threads .. " threads: " .. tostring(f:status()))
    local log = o:sync(function(d) return table.concat(d.log, " ") end)
    assert(log == "a1 a2 b c", threads .. " threads, order: " .. log)

    -- Values cross on resume: a job waits for another object's future and gets its results.
    local src = desync.new({ n = 5 }, { name = "src" })
    local dst = desync.new({}, { name = "dst" })
    local r = dst:future(function()
        local g = src:future(function(d) desync.sleep(0.01) return { n = d.n, list = { 1, 2, 3 } }, "two" end)
        local t, second = g:wait()
        return t.n + #t.list, second
    end)
    local sum, second = r:wait()
    assert(sum == 8 and second == "two", threads .. " threads: values on resume")

    -- other:sync from a job suspends the job until the other object's job is done.
    local a = desync.new({ hops = 0 }, { name = "a" })
    local b = desync.new({ hops = 0 }, { name = "b" })
    b:async(function() desync.sleep(0.02) end) -- b is busy: a's sync must wait behind it
    local hops = a:future(function(d)
        local n = b:sync(function(bd) bd.hops = bd.hops + 1; return bd.hops end)
        d.hops = d.hops + n
        return d.hops
    end)
    assert(hops:wait() == 1)
end

-- While a job is suspended: pending counts it, try_sync says busy, the future says running.
desync.scheduler.set_max_threads(2)
local held = desync.new({}, { name = "held" })
local gate = desync.stream()
local waiting = held:future(function() return gate:receive() end)
local t0 = desync.clock()
while held:pending() == 0 and elapsed(t0) < 5 do desync.sleep(0.001) end
desync.sleep(0.05)
assert(held:pending() == 1, "pending " .. held:pending())
local ok, why = held:try_sync(function() end)
assert(ok == false and why == "busy")
assert(waiting:status() == "running", waiting:status())
assert(desync.scheduler.stats().suspended_jobs >= 1, "stats count the suspended job")
gate:send("opened")
assert(waiting:wait() == "opened")

-- 1,000 jobs sleeping 0.2 s each on a 1-thread pool: about one sleep on top of what 1,000 objects
-- and jobs cost without sleeping (measured first: slow under sanitizers), not 200 s.
desync.scheduler.set_max_threads(1)
local function thousandJobs(sleep)
    local futures = {}
    local started = desync.clock()
    for i = 1, 1000 do
        futures[i] = desync.new({}):future(function() if sleep then desync.sleep(0.2) end return i end)
    end
    for i = 1, 1000 do assert(futures[i]:wait() == i) end
    return elapsed(started)
end
local overhead = thousandJobs(false)
local took = thousandJobs(true)
-- Resuming a job costs about what starting it did, so the bound is a multiple of the run without
-- sleeping, plus the sleep and a margin: far below the 200 s of sleeps one after another.
assert(took >= 0.2 and took < 3 * overhead + 2, ("1,000 sleeps on 1 thread took %.2f s (%.2f s without sleeping)"):format(took, overhead))
desync.scheduler.set_max_threads(2)

-- Timers fire in deadline order.
local fired = desync.new({ order = {} }, { name = "timers" })
local timers = {}
for i, delay in ipairs({ 0.06, 0.02, 0.04, 0.0 }) do
    timers[i] = desync.timer(delay)
    fired:after(timers[i], function(d) d.order[#d.order + 1] = i end)
end
-- `after` jobs of one object run in queue order; the timers themselves are checked by any.
assert(desync.any(timers):wait() == 4)
assert(desync.any({ timers[1], timers[2] }):wait() == 2)
for _, t in ipairs(timers) do t:wait() end
local order = fired:sync(function(d) return table.concat(d.order, " ") end)
assert(order == "1 2 3 4", order)

-- all / any / spawn, with failures and empty lists.
local list = desync.all({ desync.spawn(function(x) return x * 2 end, 21), desync.spawn(function() return "b", "ignored" end) }):wait()
assert(list[1] == 42 and list[2] == "b" and #list == 2)
assert(#desync.all({}):wait() == 0)
local okAll, errAll = desync.all({ desync.spawn(function() error("first fails") end), desync.timer(0.5) }):result()
assert(okAll == false and errAll:find("first fails", 1, true), tostring(errAll))
local i, v = desync.any({ desync.timer(1), desync.spawn(function() return "fast" end) }):wait()
assert(i == 2 and v == "fast")
local okAny, errAny = desync.any({ desync.spawn(function() error({ code = 7 }) end), desync.timer(1) }):result()
assert(okAny == false and errAny.code == 7)
assert(desync.spawn(function(...) return select("#", ...), ... end, 1, nil, 3):wait() == 3)

-- A timeout with any: the slow job loses, and the workflow goes on.
local slow = desync.new({}, { name = "slow" })
local winner = desync.any({ slow:future(function() desync.sleep(0.5) return "late" end), desync.timer(0.05) }):wait()
assert(winner == 2)

-- Cancel while suspended: the wait raises "cancelled" inside the job; pcall and <close> run.
local c = desync.new({ closed = false, caught = nil }, { name = "cancellable" })
local fc = c:future(function(d)
    local guard <close> = setmetatable({}, { __close = function() d.closed = true end })
    local okSleep, err = pcall(desync.sleep, 30)
    d.caught = err
    return "finished"
end)
t0 = desync.clock()
while fc:status() ~= "running" and elapsed(t0) < 5 do desync.sleep(0.001) end
desync.sleep(0.05)
assert(fc:cancel() == true)
assert(fc:status() == "cancelled")
local okc, errc = fc:result()
assert(okc == false and errc == "cancelled", tostring(errc))
local closed, caught = c:sync(function(d) return d.closed, d.caught end)
assert(closed == true and caught == "cancelled", tostring(caught))
assert(c:sync(function() return "next" end) == "next", "the object goes on")
-- cancel before start (the job never runs) and after finish (false)
local busy = desync.new({ ran = false }, { name = "busy" })
busy:async(function() desync.sleep(0.1) end)
local never = busy:future(function(d) d.ran = true end)
assert(never:cancel() == true and never:status() == "cancelled")
assert(busy:sync(function(d) return d.ran end) == false)
local doneF = busy:future(function() return 1 end)
doneF:wait()
assert(doneF:cancel() == false and doneF:status() == "done")

-- Deadlocks: a wait that closes a cycle raises at once, naming it; the other waits go on.
local A = desync.new({}, { name = "A" })
local B = desync.new({}, { name = "B" })
local C = desync.new({}, { name = "C" })
local fa = A:future(function() desync.sleep(0.05) return B:sync(function() return "B ran" end) end)
local fb = B:future(function() desync.sleep(0.02) return A:sync(function() return "A ran" end) end)
local oka, ea = fa:result()
local okb, eb = fb:result()
assert((oka and not okb) or (okb and not oka), "exactly one wait is refused")
local refused = oka and eb or ea
assert(refused:find("deadlock: job on [AB] waits for [AB], job on [AB] waits for [AB]"), refused)
-- a ring of three, with futures
local fA = A:future(function() desync.sleep(0.03) return B:future(function() return 1 end):wait() end)
local fB = B:future(function() desync.sleep(0.03) return C:future(function() return 2 end):wait() end)
-- C closes the ring last: it waits long after A and B have begun to wait.
local fC = C:future(function() desync.sleep(0.3) return A:future(function() return 3 end):wait() end)
local okC, eC = fC:result()
assert(not okC and eC:find("deadlock: job on C waits for A, job on A waits for B, job on B waits for C", 1, true), tostring(eC))
assert(fA:wait() == 1 and fB:wait() == 2)
-- from the host: the host's sync on A starts a chain that comes back to A
local okh, eh = pcall(A.sync, A, function()
    return B:sync(function() return A:sync(function() return "never" end) end)
end)
-- (the host's thread runs A's job itself, so this is the same-thread check, which says so)
assert(not okh and (tostring(eh):find("deadlock", 1, true) or tostring(eh):find("itself", 1, true)), tostring(eh))

-- A wait inside a coroutine the job made blocks the thread, as plain Lua code expects.
local user = desync.new({}, { name = "user" })
assert(user:sync(function()
    local co = coroutine.wrap(function() desync.sleep(0.01) return "from my coroutine" end)
    return co()
end) == "from my coroutine")

-- A bare coroutine.yield at a job's top level is an error, not a hang.
local oky, ey = user:future(function() coroutine.yield(1) end):result()
assert(not oky and ey:find("attempt to yield from a desync job", 1, true), tostring(ey))
assert(user:sync(function() return "goes on" end) == "goes on")

-- With pool threads, a wait on jobs that are all suspended for good (nothing left could resume
-- them) fails instead of hanging.
desync.scheduler.set_max_threads(2)
local never = desync.stream()
local forgotten = desync.spawn(function(s) return s:receive() end, never)
local okStuck, errStuck = pcall(forgotten.wait, forgotten)
assert(not okStuck and tostring(errStuck):find("would never end", 1, true), tostring(errStuck))
never:send("at last")   -- the script's own send resumes it: it was stuck only while the script waited
assert(forgotten:wait() == "at last")

-- try_sync on an idle object whose job then waits: the job started here, so try_sync waits for it
-- (it does not report "busy" for a job that goes on by itself).
local tried = desync.new({ n = 0 }, { name = "tried" })
local okTry, value = tried:try_sync(function(d) d.n = d.n + 1; desync.sleep(0.02); d.n = d.n + 10; return "x" end)
assert(okTry == true and value == "x" and tried:sync(function(d) return d.n end) == 11)

-- With 0 threads, a job that sleeps many times in a row: the waiting script resumes it each time
-- (a timer that has fired but not yet resumed its job never looks like "nothing can happen").
desync.scheduler.set_max_threads(0)
for _ = 1, 20 do
    local napper = desync.new({}, { name = "napper" })
    assert(napper:future(function() for _ = 1, 5 do desync.sleep(0) end return "ok" end):result() == true)
end
desync.scheduler.set_max_threads(2)

-- A cycle through an inline sync and a wait in a user coroutine is a Lua error, not an abort.
local P, Q, R = desync.new({}, { name = "P" }), desync.new({}, { name = "Q" }), desync.new({}, { name = "R" })
R:async(function() desync.sleep(0.05) end)
local okCycle, errCycle = P:future(function()
    return Q:sync(function()
        return coroutine.wrap(function()
            return R:future(function() return P:sync(function() return "p" end) end):wait()
        end)()
    end)
end):result(10)
assert(okCycle == false and (tostring(errCycle):find("deadlock", 1, true) or tostring(errCycle):find("itself", 1, true)), tostring(errCycle))

-- A wait that is over leaves the wait-for graph at once: no false deadlock for the next waits.
local X, Y = desync.new({}, { name = "X" }), desync.new({}, { name = "Y" })
local fx = X:future(function(_, y) return y:future(function() desync.sleep(0.05) return 1 end):wait() end, Y)
desync.sleep(0.01)
local x2 = X:future(function() return 2 end)
local y2 = Y:future(function(_, x) return x:wait() end, x2)
assert(fx:wait() == 1 and y2:wait() == 2)

-- Bad input.
for _, bad in ipairs({ -1, "x", 0 / 0, math.huge }) do
    assert(not pcall(desync.timer, bad), "timer(" .. tostring(bad) .. ")")
end
assert(not pcall(desync.timer))
local okl, el = pcall(desync.all, { desync.timer(0), 5 })
assert(not okl and el:find("desync.future expected at index 2, got number", 1, true), el)
okl, el = pcall(desync.any, { desync.timer(0), nil, desync.timer(0) })
assert(not okl and el:find("index 2, got nil", 1, true), el)
assert(not pcall(desync.all, "nope"))
assert(not pcall(desync.any, {}))
assert(not pcall(desync.spawn, 42))
local huge = {}
for k = 1, 5000 do huge[k] = desync.timer(0) end
assert(#desync.all(huge):wait() == 0, "timers have no results")
-- The trace shows each slice of a suspended job, and its wait on a row of its own.
desync.trace.start()
local sliced = desync.new({}, { name = "sliced" })
sliced:sync(function() desync.sleep(0.03) end)
local picture = desync.trace.timeline(40)
local events = desync.trace.stop()
local slices, resumed = 0, 0
for _, e in ipairs(events) do
    if e.object == "sliced" then
        slices = slices + 1
        if e.resumes then resumed = resumed + 1; assert(e.started - e.queued >= 0.025, "the wait is the gap") end
    end
end
assert(slices == 2 and resumed == 1, slices .. " slices, " .. resumed .. " resumed")
assert(picture:find("waiting (no thread)", 1, true) and picture:find("~", 1, true), picture)
print("suspend ok")

-- A job's debug hook does not outlive the job (jobs reuse their object's coroutine).
local hooked = desync.new({}, { name = "hooked" })
hooked:sync(function() debug.sethook(function() error("a hook left by an earlier job") end, "l") end)
assert(hooked:sync(function() local x = 1; x = x + 1; return x end) == 2)
assert(hooked:sync(function() return debug.gethook() end) == nil)
