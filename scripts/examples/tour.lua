-- A tour of desync: every verb once.
-- Run it with: scripts/desync-lua scripts/examples/tour.lua

local desync = require "desync"   -- also the global `desync` in every state

-- desync.new copies a value into a new object, which owns its own Lua state from then on.
local account = desync.new({ balance = 100, log = {} }, { name = "account" })
print(account)                                   --> desync.object: account

-- async: queue a job and return at once. Jobs on one object run one at a time, in order.
account:async(function(data, amount)
  data.balance = data.balance + amount
  data.log[#data.log + 1] = "deposit " .. amount
end, 50)

-- sync: run a job after everything queued before it, and wait for its results.
print("balance", account:sync(function(data) return data.balance end))   --> balance 150

-- Values cross by copy, like a Rust `move` closure: changes to captured upvalues stay in the
-- job's copy. Results come back as return values.
local seen = 0
local returned = account:sync(function(data) seen = data.balance; return seen end)
print("seen", seen, "returned", returned)       --> seen 0 returned 150

-- future: queue a job and get a handle to poll (done), wait on, or ask for its result.
local report = account:future(function(data) return #data.log, data.balance end)
print("report", report:wait())                  --> report 1 150
print("status", report:status())                --> status done

-- after: run a job on one object once a future (of any object) has finished, with its results.
local audit = desync.new({}, { name = "audit" })
local checked = audit:after(report, function(data, entries, balance)
  data.last = balance
  return entries == 1 and "ok" or "mismatch"
end)
print("audit", checked:wait())                  --> audit ok

-- try_sync: run only if the object is idle, without waiting.
print("try_sync", account:try_sync(function(data) return data.balance end))  --> try_sync true 150

-- Errors: a failing job raises in the caller of sync/wait, with the job's traceback;
-- result() returns false and the error instead.
local failing = account:future(function() error("insufficient funds") end)
local ok, err = failing:result()
print("result", ok, (err:match("insufficient funds")))   --> result false insufficient funds

-- An async error nothing observes is printed on stderr; desync.on_error routes it to a handler.
desync.on_error(function(e, obj) print("on_error", obj, (tostring(e):match("bad job"))) end)
account:async(function() error("bad job") end)
account:sync(function() end)       -- the failing job has run
desync.sleep(0)                    -- a call into desync delivers the report --> on_error desync.object: account bad job
desync.on_error(nil)

-- pending: jobs queued and not finished.
print("pending", account:pending())             --> pending 0

-- The scheduler: a pool of threads shared by every object.
local stats = desync.scheduler.stats()
print("threads", desync.scheduler.max_threads(), "jobs run", stats.jobs_run > 0)
