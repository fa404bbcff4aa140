-- Functions written at the call site (a new closure on every call): the sender finds their code
-- by their prototype, the target reuses one loaded closure when there is nothing to bind. Every
-- cached path must still run exactly the function that was written, with its own upvalues.
local obj = desync.new({ n = 0 }, { name = "literals" })

-- two different literals on the same line, alternating: each runs as itself
for i = 1, 50 do
  obj:async(function(d, x) d.n = d.n + x end, i) obj:async(function(d, x) d.n = d.n - 2 * x end, i)
end
assert(obj:sync(function(d) return d.n end) == -(50 * 51 // 2), "two literals on one line mixed up")
obj:sync(function(d) d.n = 0 end)

-- two literals with the same text on one line are two functions
local a, b = function() return 1 end, function() return 1 end
assert(obj:sync(function(_, f, g) return rawequal(f, g) end, a, b) == false)

-- the same literal with different upvalues in consecutive jobs
for i = 1, 200 do
  local k, s = i * 3, "s" .. i
  obj:async(function(d) d.k, d.s = k, s end)
  assert(obj:sync(function(d) return d.k, d.s end) == k)
  local gotK, gotS = obj:sync(function(d) return d.k, d.s end)
  assert(gotK == k and gotS == s, ("job %d saw %s, %s"):format(i, tostring(gotK), tostring(gotS)))
end
for i = 1, 200 do
  local k = i
  assert(obj:sync(function(_, x) return x + k end, 1000) == 1000 + i, "stale upvalue")
end

-- distinct closures of one literal in one call stay distinct (a table keyed by both)
local made = {}
for i = 1, 3 do made[i] = function() return "same" end end
assert(obj:sync(function(_, f, g) return rawequal(f, g) end, made[1], made[2]) == false)
assert(obj:sync(function(_, f, g) return rawequal(f, g) end, made[1], made[1]) == true)
assert(obj:sync(function(_, t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end,
  { [made[1]] = 1, [made[2]] = 2, [made[3]] = 3 }) == 3)
assert(obj:sync(function(_, f, g, h) return rawequal(f, h) and not rawequal(f, g) end, made[1], made[2], made[1]))

-- a closure that escapes its job (stored in the data, returned) and is called later
for i = 1, 20 do
  local k = i
  obj:async(function(d) d.saved = d.saved or {}; d.saved[#d.saved + 1] = function() return k end end)
end
obj:sync(function(d) d.me = debug.getinfo(1, "f").func end)
local returned = obj:sync(function(_) return function(x) return x * 2 end end)
assert(returned(21) == 42)
assert(obj:sync(function(d)
  for i, f in ipairs(d.saved) do assert(f() == i, "escaped closure " .. i .. " lost its upvalue") end
  return #d.saved
end) == 20)

-- a job that changes its own function (debug.setupvalue, debug.upvaluejoin): the next job with
-- the same literal runs with this state's globals again, and the changed closure keeps its change
answer = "global"
for round = 1, 3 do
  local seen = obj:sync(function(d)
    local me = debug.getinfo(1, "f").func
    local first = answer
    d.changed = me
    debug.setupvalue(me, 1, { answer = "replaced", debug = debug })
    return first
  end)
  assert(seen == nil, ("round %d: the job ran with a changed _ENV: %s"):format(round, tostring(seen)))
end
assert(obj:sync(function(d) local _, env = debug.getupvalue(d.changed, 1) return env.answer end) == "replaced",
  "the changed closure lost its change")
-- the same with a function defined once and sent again and again
local function selfChanging(d)
  local me = debug.getinfo(1, "f").func
  local first = answer
  debug.setupvalue(me, 1, { answer = "replaced", debug = debug })
  return first
end
for round = 1, 3 do
  local seen = obj:sync(selfChanging)
  assert(seen == nil, ("round %d: the defined-once job ran with a changed _ENV: %s"):format(round, tostring(seen)))
end
local function fresh() return obj:sync(function() return tostring(answer) end) end
obj:sync(function() answer = "target global" end)
assert(fresh() == "target global")
for round = 1, 3 do
  local seen = obj:sync(function(d)
    local me = debug.getinfo(1, "f").func
    local other = load("return function() return answer end", "other", "t", { answer = "joined" })()
    local first = answer
    debug.upvaluejoin(me, 1, other, 1)
    d.joined = me
    return first
  end)
  assert(seen == "target global", ("round %d: the job ran with a changed _ENV: %s"):format(round, tostring(seen)))
end
assert(fresh() == "target global")

-- a literal that uses globals, sent many times, runs with the target's globals each time
obj:sync(function() counter = 0 end)
for _ = 1, 1000 do obj:async(function() counter = counter + 1 end) end
assert(obj:sync(function() return counter end) == 1000)

-- 200k jobs of a function literal: the object's Lua heap stays flat without collectgarbage
-- (it grew by 25 MB per 100k jobs when nothing stepped its collector)
obj:sync(function(d) d.n = 0 end)
for i = 1, 20000 do obj:async(function(d, x) d.n = d.n + x end, i) end
obj:sync(function() end)
local early = obj:memory()
for i = 20001, 200000 do obj:async(function(d, x) d.n = d.n + x end, i) end
assert(obj:sync(function(d) return d.n end) == 200000 * 200001 // 2)
local late = obj:memory()
assert(late - early < 2 * 1024 * 1024, ("the object's heap grew by %d bytes"):format(late - early))

-- the same with an upvalue: the closure is made afresh in the target for each job
local step = 1
for i = 1, 100000 do obj:async(function(d) d.n = d.n + step end) end
obj:sync(function() end)
assert(obj:memory() - early < 4 * 1024 * 1024, ("with upvalues the heap grew by %d bytes"):format(obj:memory() - early))

-- the pipe path: a literal with an upvalue, a new pipe (and closure) each round
for round = 1, 30 do
  local input = desync.stream()
  local factor = round
  local output = obj:pipe(input, function(_, item) return item * factor end)
  for i = 1, 5 do input:send(i) end
  input:close()
  local sum = 0
  for value in output:iter() do sum = sum + value end
  assert(sum == 15 * round, ("pipe round %d: %d"):format(round, sum))
end
