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

-- Lua code can reach the sender's cache of recent functions through debug.getregistry(): emptying
-- its keep-alive table, or replacing it, must neither crash nor send a stale function
do
  local f = load("return function() return 'F' end")()
  assert(obj:sync(f) == "F")
  local addr = tostring(f)
  local reg = debug.getregistry()
  for _, v in pairs(reg) do
    if type(v) == "table" then
      for i, x in pairs(v) do if rawequal(x, f) and type(i) == "number" then v[i] = nil end end
    end
  end
  f = nil
  collectgarbage(); collectgarbage()
  local keep = {}
  for k = 1, 20000 do
    local g = load("return function() return " .. k .. " end")()
    if tostring(g) == addr then
      assert(obj:sync(g) == k, "a closure at a reused address came back as the old one")
      break
    end
    keep[#keep + 1] = g
  end
end
do
  local f = load("return function() return 'F' end")()
  assert(obj:sync(f) == "F")
  local reg = debug.getregistry()
  for k, v in pairs(reg) do
    if type(k) == "number" and type(v) == "table" then
      for _, x in pairs(v) do if rawequal(x, f) then reg[k] = 0 end end
    end
  end
  assert(obj:sync(f) == "F")
  assert(obj:sync(load("return function() return 'G' end")()) == "G")
end

-- desync's own functions arrive as the target's own (issue 18: rawequal was false for all)
local function ownFunctions(module)
  local names = {}
  for name, f in pairs(module) do if type(f) == "function" then names[#names + 1] = name end end
  for name, f in pairs(module.scheduler) do if type(f) == "function" then names[#names + 1] = "scheduler." .. name end end
  for name, f in pairs(module.trace) do if type(f) == "function" then names[#names + 1] = "trace." .. name end end
  return names
end
local function lookup(module, path)
  local value = module
  for part in path:gmatch("[^.]+") do value = value[part] end
  return value
end
local names = ownFunctions(desync)
assert(#names >= 15, #names)
for _, name in ipairs(names) do
  local same = obj:sync(function(_, f, path)
    local value = desync
    for part in path:gmatch("[^.]+") do value = value[part] end
    return rawequal(f, value)
  end, lookup(desync, name), name)
  assert(same, "desync." .. name .. " did not arrive as the job's own")
end
-- inside tables and as upvalues too
local sleep = desync.sleep
assert(obj:sync(function(_, t)
  return rawequal(t.sleep, desync.sleep) and rawequal(sleep, desync.sleep) and rawequal(t.new, desync.new)
end, { sleep = desync.sleep, new = desync.new }))
