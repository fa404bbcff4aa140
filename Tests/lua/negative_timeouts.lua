-- a timeout below 0 means 0, "do not wait": f:wait(deadline - desync.clock()) works once the
-- deadline has passed (issue 18)
local gate = desync.stream()
local obj = desync.new({})
local f = obj:future(function(_, g) g:receive() return "late" end, gate)
local deadline = desync.clock() - 1  -- passed already
local started = desync.clock()
local value, why = f:wait(deadline - desync.clock())
assert(value == nil and why == "timeout", tostring(why))
local ok, err = f:result(-0.5)
assert(ok == false and err == "timeout")
local s = desync.stream()
local item, reason = s:receive(-3)
assert(item == nil and reason == "timeout", tostring(reason))
assert(desync.clock() - started < 1, "a negative timeout waited")
-- -math.huge too
assert(select(2, f:wait(-math.huge)) == "timeout")
-- inside a job as well
assert(obj ~= nil)
local other = desync.new({})
assert(other:sync(function(_, stream) return select(2, stream:receive(-1)) end, s) == "timeout")
-- a finished future gives its results whatever the timeout
gate:send(1)
assert(f:wait() == "late")
assert(f:wait(-1) == "late")
s:send("x")
assert(s:receive(-1) == "x")
