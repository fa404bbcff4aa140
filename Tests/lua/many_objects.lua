-- 1000 objects at once, each with work
local objects = {}
for i = 1, 1000 do
  objects[i] = desync.new({ i = i })
  objects[i]:async(function(d) d.doubled = d.i * 2 end)
end
local sum = 0
for i = 1, 1000 do sum = sum + objects[i]:sync(function(d) return d.doubled end) end
assert(sum == 1001000, sum)
