-- 1000 async jobs on one object run in order, each once; sync sees all of them.
local log = desync.new({}, { name = "log" })
for i = 1, 1000 do
  log:async(function(data, n) data[#data + 1] = n end, i)
end
local seen = log:sync(function(data) return data end)
assert(#seen == 1000, "expected 1000 entries, got " .. #seen)
for i = 1, 1000 do assert(seen[i] == i, "entry " .. i .. " is " .. tostring(seen[i])) end

-- sync, future and async keep one order
local order = desync.new({})
order:async(function(d) d[#d + 1] = "a" end)
local f = order:future(function(d) d[#d + 1] = "f"; return #d end)
order:async(function(d) d[#d + 1] = "b" end)
assert(table.concat(order:sync(function(d) return d end), ",") == "a,f,b")
assert(f:wait() == 2)
assert(order:pending() == 0)
