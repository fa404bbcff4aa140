-- A finalizer is Lua code that can run inside any call that allocates. obj:async captures its
-- arguments (which allocates), so a finalizer may release obj's proxy (an explicit __gc call)
-- in the middle of obj:async: the call must then fail with "bad self", never use the object.
-- (getmetatable gives false for a proxy; the debug library still reaches the table)
assert(getmetatable(desync.new({})) == false)
local gc = debug.getmetatable(desync.new({})).__gc
collectgarbage("incremental", 1, 1000)   -- a collection step at almost every allocation
local calling, firedInside, queued, refused = 0, 0, 0, 0
-- distinct closures, made beforehand: capturing each one the first time dumps it (allocates)
local jobs = {}
for i = 1, 2000 do jobs[i] = function(data) data.n = (data.n or 0) + 1 end end
for i = 1, 2000 do
  local o = desync.new({})
  setmetatable({}, { __gc = function()
    if calling == i then firedInside = firedInside + 1 end
    gc(o)
  end })
  calling = i
  local ok, err = pcall(o.async, o, jobs[i])
  calling = 0
  if ok then
    queued = queued + 1
  else
    refused = refused + 1
    assert(err:find("bad self", 1, true), "unexpected error: " .. tostring(err))
  end
end
collectgarbage("generational")
assert(queued + refused == 2000)
assert(firedInside > 0, "no finalizer ran inside obj:async: the script tests nothing")

-- A finalizer can also replace obj:async's arguments on its C stack (debug.setlocal) while the
-- function's code is looked up: the function remembered for the next calls must be the one
-- whose code was taken, so a later call with the replacement runs the replacement.
do
  local obj = desync.new({}, { name = "swap" })
  local function g() return "g" end
  local current, swapped = nil, false
  local function swap()
    local info = debug.getinfo(2, "S")
    if not swapped and info and info.what == "C" then
      local _, value = debug.getlocal(2, 2)
      if value == current then
        debug.setlocal(2, 2, g)
        swapped = true
      end
    end
  end
  -- Fresh closures: each is dumped (allocates) the first time it crosses. The swap happens once
  -- the dump cache grows past 65536 entries (its rehash runs a collection step in the C frame).
  local fresh = {}
  for i = 1, 100000 do fresh[i] = load("return function() return 'f' end")() end
  collectgarbage("incremental", 1, 1000)
  local i = 0
  while not swapped and i < #fresh do
    for _ = 1, 100 do setmetatable({}, { __gc = swap }) end
    for _ = 1, 100 do
      i = i + 1
      current = fresh[i]
      fresh[i] = false
      obj:async(current)
      if swapped then break end
    end
  end
  current, fresh = nil, nil
  collectgarbage("generational")
  assert(swapped, "no finalizer replaced an argument inside obj:async: this part tests nothing")
  assert(obj:sync(g) == "g", "obj:sync(g) ran another function")
end

-- The same kind of finalizer, between the check of obj:async's or obj:sync's function (a Lua
-- function with nothing to bind) and its dump: the dump cache is created then (it allocates),
-- and the function becomes a C function or a closure with an upvalue. The call must use what is
-- there now, correctly, or fail with an error: never dump a C function (an empty bytecode the
-- worker could not load stopped the process) nor run a closure without its upvalue.
for _, case in ipairs({ { "async", "cfunction" }, { "async", "upvalue" }, { "sync", "cfunction" }, { "sync", "upvalue" } }) do
  local method, replacement = case[1], case[2]
  local obj = desync.new({}, { name = "window" })
  local reports = 0
  desync.on_error(function() reports = reports + 1 end)
  local registry = debug.getregistry()
  local probe = function() end
  obj:async(probe)
  obj:sync(function() end)
  local cacheKey
  for k, v in pairs(registry) do
    if type(k) == "userdata" and type(v) == "table" and rawget(v, probe) ~= nil then cacheKey = k end
  end
  assert(cacheKey, "no dump cache found")
  local up = { tag = "upvalue" }
  local function withUpvalue(data) data.seen = up.tag end
  local target = replacement == "cfunction" and string.len or withUpvalue
  local armed, swapped = false, false
  local call = obj[method]
  local function swap()
    if not armed then return end
    local info = debug.getinfo(2, "f")
    if info and info.func == call then
      local _, value = debug.getlocal(2, 2)
      if type(value) == "function" and value ~= target then
        debug.setlocal(2, 2, target)
        armed, swapped = false, true
      end
    end
  end
  local fresh = {}
  for i = 1, 20000 do fresh[i] = load("return function(data) data.seen = 'original' end")() end
  collectgarbage("incremental", 1, 1000)
  local tries, raised = 0, nil
  while not swapped and tries < #fresh do
    tries = tries + 1
    registry[cacheKey] = nil               -- the next lookup creates the table again
    for _ = 1, 3 do setmetatable({}, { __gc = swap }) end
    armed = true
    local f = fresh[tries]
    fresh[tries] = false
    local ok, err = pcall(call, obj, f)
    armed = false
    if not ok then raised = err end
  end
  fresh = nil
  collectgarbage("generational")
  assert(swapped, method .. "/" .. replacement .. ": no finalizer replaced the function: this part tests nothing")
  local seen = obj:sync(function(data) return data.seen end)
  desync.sleep(0)                          -- delivers the async reports
  -- The replacement came before the dump (it ran) or after it (the checked function ran).
  if replacement == "upvalue" then
    assert(seen == "upvalue" or seen == "original", method .. ": the closure ran without its upvalue: " .. tostring(seen))
  else
    -- string.len(data) fails: reported (async) or raised (sync); the object carries on.
    assert(seen == "original" or reports + (raised and 1 or 0) >= 1, method .. ": the C function's failure went nowhere")
  end
  assert(obj:sync(function() return "alive" end) == "alive")
  desync.on_error(nil)
end
