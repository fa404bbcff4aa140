-- Functions sent again and again: each arrives as itself (the sender finds a function's code by
-- the closure's address in a small cache; nothing may come back for the wrong closure)
local obj = desync.new({})

-- 40 different functions with nothing to bind, sent in turns, more than the cache holds
local fns = {}
for k = 1, 40 do fns[k] = load("return function(_, x) return x * " .. k .. " end")() end
for _ = 1, 3 do
  for k = 1, 40 do
    assert(obj:sync(fns[k], 2) == 2 * k, "function " .. k .. " came back as another")
  end
end

-- the same source function is the same function in the target; another one is not
obj:sync(function(data, f) data.f = f end, fns[1])
assert(obj:sync(function(data, f) return rawequal(data.f, f) end, fns[1]))
assert(not obj:sync(function(data, f) return rawequal(data.f, f) end, fns[2]))

-- closures made, sent once and collected, again and again: a new closure may reuse an old one's
-- address, and must still arrive as itself
for k = 1, 300 do
  local f = load("return function() return " .. k .. " end")()
  assert(obj:sync(f) == k, "closure " .. k .. " came back as a stale one")
  if k % 50 == 0 then collectgarbage() end
end

-- a function whose _ENV was changed is no longer one with nothing to bind: its table crosses
local custom = load("return function() return answer end")()
assert(obj:sync(custom) == nil)
debug.setupvalue(custom, 1, { answer = 42 })
assert(obj:sync(custom) == 42, "a changed _ENV must cross")
