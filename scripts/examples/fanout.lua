-- Fan out: 1000 objects, each squares its own number in parallel; fan in with futures.

local start = desync.clock()
local objects, futures = {}, {}
for i = 1, 1000 do
  objects[i] = desync.new({ n = i })
  futures[i] = objects[i]:future(function(data) return data.n * data.n end)
end
local sum = 0
for i = 1, 1000 do sum = sum + futures[i]:wait() end
print("sum of squares", sum)
assert(sum == 333833500)
print(string.format("1000 objects in %.1f ms on %d threads", (desync.clock() - start) * 1000,
  desync.scheduler.max_threads()))
