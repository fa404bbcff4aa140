-- after: the job runs once the future is done, with its results, before later jobs
local source = desync.new({})
local log = desync.new({})
local first = source:future(function() desync.sleep(0.05); return "f", 2 end)
local second = log:after(first, function(data, s, n)
  data[#data + 1] = "j1:" .. s .. n
  return #data
end)
log:async(function(data) data[#data + 1] = "j2" end)
assert(second:wait(10) == 1)
assert(table.concat(log:sync(function(d) return d end), ",") == "j1:f2,j2")

-- a failed first future fails the after-future with the same error, without calling fn
local called = desync.new({ called = false })
local bad = source:future(function() error("first failed") end)
local chained = called:after(bad, function(d) d.called = true end)
local ok, err = chained:result()
assert(not ok and err:find("first failed", 1, true), tostring(err))
assert(called:sync(function(d) return d.called end) == false)
