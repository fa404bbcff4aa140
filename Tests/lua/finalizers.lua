-- A finalizer is Lua code that can run inside any call that allocates. obj:async captures its
-- arguments (which allocates), so a finalizer may release obj's proxy (an explicit __gc call)
-- in the middle of obj:async: the call must then fail with "bad self", never use the object.
local gc = getmetatable(desync.new({})).__gc
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
