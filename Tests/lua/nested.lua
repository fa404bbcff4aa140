-- objects created inside jobs; object handles passed into other objects' jobs
local parent = desync.new({})
local child_total = parent:sync(function(data)
  local child = desync.new({ v = 21 })
  data.child = child
  return child:sync(function(c) return c.v * 2 end)
end)
assert(child_total == 42)
-- the child handle lives on in the parent's state, and crosses back by reference
local child = parent:sync(function(data) return data.child end)
assert(tostring(child):match("^desync.object"))
assert(child:sync(function(c) return c.v end) == 21)
-- a handle passed into another object's job
local a = desync.new({ n = 0 })
local b = desync.new({})
b:sync(function(_, target)
  for _ = 1, 10 do target:async(function(d) d.n = d.n + 1 end) end
end, a)
assert(a:sync(function(d) return d.n end) == 10)
-- desync.self inside a job is the object; in the host it is nil
assert(desync.self() == nil)
assert(a:sync(function() return desync.self() end) == a)
-- a function using `local desync = require "desync"` crosses (the module binds by name)
local d = require "desync"
local made = a:sync(function() return d.new({ k = 1 }) end)
assert(made:sync(function(x) return x.k end) == 1)
-- a finalizer in an object's state that runs while the state closes (the object is gone by
-- then) finds no object: desync.self() is nil there, never a dangling object
do
  local doomed = desync.new({})
  doomed:sync(function(data)
    setmetatable(data, { __gc = function() _G.closing_self = desync.self() end })
  end)
  assert(doomed:sync(function() return desync.self() end) == doomed)
end
for _ = 1, 4 do collectgarbage() end
local survivor = desync.new({})
assert(survivor:sync(function() return desync.self() end) == survivor)
-- Jobs nested in one another's sync on one thread: 400 deep works; past the limit a Lua error
-- ("C stack overflow"), never a crash of the thread's stack.
do
  local chain = {}
  for i = 1, 1001 do chain[i] = desync.new({}) end
  for i = 1, 1000 do chain[i]:sync(function(d, n) d.next = n end, chain[i + 1]) end
  local function go(data, k) if k == 0 then return 0 end return data.next:sync(go, k - 1) + 1 end
  assert(chain[1]:sync(go, 400) == 400)
  local ok, err = pcall(chain[1].sync, chain[1], go, 1000)
  assert(not ok and tostring(err):find("C stack overflow", 1, true), tostring(err))
end
