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
