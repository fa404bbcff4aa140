-- With a pool of 0 threads nothing runs in the background: queued async work runs exactly when
-- a sync (or a future's wait) reaches it, on the waiting thread, in order.
-- Try: scripts/desync-lua -t 0 scripts/examples/zero_threads.lua

desync.scheduler.set_max_threads(0)
local log = desync.new({}, { name = "log" })
for i = 1, 3 do
  log:async(function(data) data[#data + 1] = "async " .. i end)
end
desync.sleep(0.05)
print("queued, not run:", log:pending())               --> 3
local entries = log:sync(function(data)
  data[#data + 1] = "sync"
  return data
end)
print(table.concat(entries, ", "))                      --> async 1, async 2, async 3, sync
print("pending now:", log:pending())                    --> 0
assert(#entries == 4)

-- A future waits in the queue until someone waits for it.
local f = log:future(function(data) return #data end)
print("future done before wait?", f:done())            --> false
print("future value", f:wait())                        --> 4
desync.scheduler.set_max_threads(2)
