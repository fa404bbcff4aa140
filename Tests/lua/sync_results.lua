-- sync returns every result, keeps integer and float apart, and passes extra arguments.
local obj = desync.new({ base = 10 })
local a, b, c, d = obj:sync(function(data, x, y) return data.base + x, y, nil, 2.0 end, 5, "s")
assert(a == 15 and math.type(a) == "integer")
assert(b == "s" and c == nil and d == 2.0 and math.type(d) == "float")
assert(select("#", obj:sync(function() return 1, nil, nil end)) == 3)
assert(select("#", obj:sync(function() end)) == 0)
-- strings with zero bytes, nested tables, cycles survive the round trip
local t = obj:sync(function(_, v) return v end, { s = "a\0b", inner = { 1, 2, 3 } })
assert(t.s == "a\0b" and #t.s == 3 and t.inner[3] == 3)
local cyc = {}; cyc.self = cyc
local back = obj:sync(function(_, v) return v end, cyc)
assert(back.self == back)
-- changes to a captured upvalue do not flow back: results do
local count = 0
local returned = obj:sync(function() count = count + 1; return count end)
assert(count == 0 and returned == 1)
-- the data persists between jobs
obj:sync(function(data) data.base = 20 end)
assert(obj:sync(function(data) return data.base end) == 20)
-- data that is not a table
local num = desync.new(42)
assert(num:sync(function(n) return n + 1 end) == 43)
-- try_sync on an idle object
local ok, v = obj:try_sync(function(data) return data.base end)
assert(ok == true and v == 20)
assert(tostring(obj):match("^desync.object: #%d+$"), tostring(obj))
assert(tostring(desync.new({}, { name = "counter" })) == "desync.object: counter")
