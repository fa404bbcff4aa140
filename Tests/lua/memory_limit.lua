-- running out of memory is a Lua error ("not enough memory") in the state that ran out, never an
-- abort: the job fails, the object and every other object go on; memory_limit bounds one object
local function fails(pattern, f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern, 1, true), "error '" .. tostring(err) .. "' lacks '" .. pattern .. "'")
end
local function grow(data)
  local t = {}
  for i = 1, 1e9 do t[i] = ("x"):rep(100) .. i end
end
local limit = 10 * 1024 * 1024

local big = desync.new({ n = 0 }, { name = "big", memory_limit = limit })
local other = desync.new({ n = 0 }, { name = "other" })
assert(big:memory() == 0, "no state before the first job")

-- a job that allocates without bound fails its future; the object runs its next job
local f = big:future(grow)
local ok, err = f:result()
assert(not ok and tostring(err):find("not enough memory", 1, true), tostring(err))
assert(f:status() == "failed")
assert(big:sync(function(data) data.n = data.n + 1; return #("y"):rep(1000) end) == 1000)
local used = big:memory()
assert(math.type(used) == "integer" and used > 0 and used <= limit, "memory " .. used)
-- the garbage of the failed job was collected
assert(used < limit // 2, "memory after the failure " .. used)

-- inside a job, pcall catches it, and the job goes on
local caught, message, after = big:sync(function(data)
  local ok, e = pcall(grow)
  return ok, e, #("z"):rep(100)
end)
assert(caught == false and message == "not enough memory" and after == 100, tostring(message))

-- sync raises it in the caller
fails("not enough memory", big.sync, big, function() return ("x"):rep(2 * limit) end)

-- an async failure is reported (on_error) and the object carries on
local seen = {}
desync.on_error(function(e, o) seen[#seen + 1] = tostring(o) .. "|" .. tostring(e) end)
big:async(grow)
assert(big:sync(function(data) return data.n end) == 1)
desync.sleep(0)
assert(#seen == 1 and seen[1]:find("desync.object: big|", 1, true) and seen[1]:find("not enough memory", 1, true),
  tostring(seen[1]))
desync.on_error(nil)

-- arguments pushed into an object at its limit still arrive: the job fails only if it allocates
local huge = ("h"):rep(limit + 1)
assert(big:sync(function(_, s) return #s end, huge) == limit + 1)
fails("not enough memory", big.sync, big, function(_, s) return s .. "!" end, huge)
huge = nil

-- an error raised at the limit keeps its message and traceback (they may go beyond the limit)
local at_limit = desync.new({}, { memory_limit = 2 * 1024 * 1024 })
local tok, terr = pcall(at_limit.sync, at_limit, function()
  local message = ("m"):rep(100000)
  local keep
  -- tables only: no garbage, so no collection makes room again before the error
  assert(not pcall(function() while true do keep = { keep } end end))
  assert(not pcall(function() while true do keep = { keep } end end))
  error(message, 0)
end)
assert(not tok and terr:sub(1, 100000) == ("m"):rep(100000) and terr:find("stack traceback:", 100001, true),
  terr:sub(1, 80))

-- other objects were never affected, and have no limit
assert(other:sync(function(data)
  local t = {}
  for i = 1, 150000 do t[i] = ("x"):rep(100) .. i end
  data.n = #t
  return data.n
end) == 150000)
assert(other:memory() > limit, "other's memory " .. other:memory())

-- a job of one object that waits on a failing one gets the error, and goes on
assert(other:sync(function()
  local ok, e = pcall(big.sync, big, grow)
  return not ok and e:find("not enough memory", 1, true) ~= nil
end))

-- finalizers that allocate beyond the limit: in a job their error is a warning (Lua's rule for
-- __gc), when the state closes they run without a limit; neither stops anything
local finalized = desync.new({}, { memory_limit = 2 * 1024 * 1024 })
finalized:sync(function(data)
  for i = 1, 10 do
    data[i] = setmetatable({}, { __gc = function() local s = ("g"):rep(3 * 1024 * 1024) end })
  end
  setmetatable({}, { __gc = function() local s = ("g"):rep(3 * 1024 * 1024) end })
  collectgarbage()
end)
assert(finalized:sync(function(data) return #data end) == 10)
finalized = nil
collectgarbage()
collectgarbage()

-- the scheduler's default limit applies to objects made after it is set
assert(desync.scheduler.memory_limit() == nil)
desync.scheduler.set_memory_limit(5e6)
assert(desync.scheduler.memory_limit() == 5000000 and math.type(desync.scheduler.memory_limit()) == "integer")
local limited = desync.new({})
local unlimited = desync.new({}, { memory_limit = false })
local own = desync.new({}, { memory_limit = 20 * 1024 * 1024 })
fails("not enough memory", limited.sync, limited, function() return #("x"):rep(8e6) end)
assert(unlimited:sync(function() return #("x"):rep(8e6) end) == 8e6)
assert(own:sync(function() return #("x"):rep(8e6) end) == 8e6)
desync.scheduler.set_memory_limit(nil)
assert(desync.scheduler.memory_limit() == nil)
assert(desync.new({}):sync(function() return #("x"):rep(8e6) end) == 8e6)
desync.scheduler.set_memory_limit(false)
assert(desync.scheduler.memory_limit() == nil)

-- a limit smaller than a fresh state: the object is made, its jobs fail cleanly
local tiny = desync.new({}, { memory_limit = 1 })
fails("not enough memory", tiny.sync, tiny, function() return {} end)
assert(tiny:memory() > 1)

-- bad input is an argument error
fails("bad argument #2 to 'new' (field 'memory_limit' must be a positive integer or false)",
  desync.new, {}, { memory_limit = "10MB" })
fails("field 'memory_limit' must be a positive integer or false", desync.new, {}, { memory_limit = 0 })
fails("field 'memory_limit' must be a positive integer or false", desync.new, {}, { memory_limit = -5 })
fails("field 'memory_limit' must be a positive integer or false", desync.new, {}, { memory_limit = 1.5 })
fails("field 'memory_limit' must be a positive integer or false", desync.new, {}, { memory_limit = true })
fails("field 'memory_limit' must be a positive integer or false", desync.new, {}, { memory_limit = math.huge })
fails("bad argument #1 to 'set_memory_limit' (number expected, got string)", desync.scheduler.set_memory_limit, "1 MB")
fails("bad argument #1 to 'set_memory_limit' (memory limit must be a positive number of bytes)",
  desync.scheduler.set_memory_limit, 0)
fails("memory limit must be a positive number of bytes", desync.scheduler.set_memory_limit, -1)
fails("number has no integer representation", desync.scheduler.set_memory_limit, 0.5)
desync.scheduler.set_memory_limit(1e6)
desync.scheduler.set_memory_limit()
assert(desync.scheduler.memory_limit() == nil, "no value clears the default, as nil does")
fails("calling 'memory' on bad self (desync.object expected, got table)", big.memory, {})
assert(desync.scheduler.memory_limit() == nil)

-- Values handed to an object are delivered even beyond its limit, and its job starts (jobs run as
-- coroutines: starting one must not need memory the limit refuses).
local small = desync.new({}, { name = "small", memory_limit = 300000 })
local handed = {}
for i = 1, 50000 do handed[i] = ("y"):rep(20) .. i end
assert(small:sync(function(_, t) return #t end, handed) == 50000)
assert(small:sync(function() return 1 end) == 1)
