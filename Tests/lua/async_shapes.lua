-- obj:async with a function and no argument or one scalar one is queued without a closure
-- (LuaCompactJob); every shape must reach the function exactly as given, in order with the
-- other shapes, and its errors must be reported like any async job's.
local obj = desync.new({ log = {} }, { name = "shapes" })

local function record(data, ...)
  data.log[#data.log + 1] = { n = select("#", ...), ... }
end

obj:async(record)                          -- no argument
obj:async(record, nil)                     -- one argument, nil: not the same call
obj:async(record, 42)                      -- integer
obj:async(record, math.mininteger)         -- integer at the edge
obj:async(record, 0.5)                     -- float
obj:async(record, 3.0)                     -- a float that looks like an integer stays a float
obj:async(record, 0 / 0)                   -- NaN
obj:async(record, -0.0)                    -- negative zero keeps its sign
obj:async(record, true)
obj:async(record, false)
obj:async(record, "text")                  -- not compact: a string
obj:async(record, 1, 2)                    -- not compact: two arguments
obj:async(record, { k = "v" })             -- not compact: a table
local up = 7
obj:async(function(data) data.log[#data.log + 1] = { n = -1, up } end)   -- an upvalue to bind

local log = obj:sync(function(data) return data.log end)
assert(#log == 14, "entries: " .. #log)
local function check(k, n, ...)
  local entry = log[k]
  assert(entry.n == n, ("entry %d: %d arguments, expected %d"):format(k, entry.n, n))
  for i = 1, select("#", ...) do
    local want, got = select(i, ...), entry[i]
    assert(got == want or (want ~= want and got ~= got),
      ("entry %d argument %d: %s, expected %s"):format(k, i, tostring(got), tostring(want)))
    assert(math.type(got) == math.type(want), ("entry %d argument %d: %s, expected %s"):format(
      k, i, tostring(math.type(got)), tostring(math.type(want))))
  end
end
check(1, 0)
check(2, 1, nil)
check(3, 1, 42)
check(4, 1, math.mininteger)
check(5, 1, 0.5)
check(6, 1, 3.0)
check(7, 1, 0 / 0)
check(8, 1, -0.0)
assert(1 / log[8][1] == -math.huge, "-0.0 lost its sign")
check(9, 1, true)
check(10, 1, false)
check(11, 1, "text")
check(12, 2, 1, 2)
assert(log[13].n == 1 and log[13][1].k == "v")
assert(log[14].n == -1 and log[14][1] == 7)

-- Many compact jobs interleaved with closure jobs keep one order.
local order = desync.new({ seq = {} }, { name = "order" })
local function push(data, x) data.seq[#data.seq + 1] = x end
for i = 1, 2000 do
  if i % 3 == 0 then order:async(push, tostring(i)) else order:async(push, i) end
end
local seq = order:sync(function(data) return data.seq end)
assert(#seq == 2000)
for i = 1, 2000 do assert(tonumber(seq[i]) == i, "position " .. i .. ": " .. tostring(seq[i])) end

-- A failing compact job is reported with the object's name, and the object goes on.
local seen = {}
desync.on_error(function(e, o) seen[#seen + 1] = tostring(o) .. "|" .. tostring(e) end)
obj:async(function(_, x) error("compact failure " .. x) end, 5)
obj:async(function() error("no-argument failure") end)
obj:sync(function() end)
desync.sleep(0)                            -- a call into desync delivers the reports
assert(#seen == 2, "reports: " .. #seen)
assert(seen[1]:find("desync.object: shapes|", 1, true) and seen[1]:find("compact failure 5", 1, true), seen[1])
assert(seen[2]:find("no-argument failure", 1, true), seen[2])
desync.on_error(nil)
assert(obj:sync(function(data) return #data.log end) == 14)

-- Misuse is refused before anything is queued, whatever the shape.
local ok, err = pcall(obj.async, obj, 42)
assert(not ok and err:find("bad argument #1 to 'async' (function expected, got number)", 1, true), err)
ok, err = pcall(obj.async, {}, record, 1)
assert(not ok and err:find("desync.object expected", 1, true), err)
assert(obj:pending() == 0)
print("async_shapes ok")
