-- pipes: obj:pipe_in and obj:pipe feed a stream's items through an object, in order
local errors = {}
desync.on_error(function(err, obj) errors[#errors + 1] = { err = err, name = obj:name() } end)

-- pipe_in: 10,000 items in order; a failing item is reported and fails the future at the end,
-- and the items after it are still processed
local sink = desync.new({ seen = {}, n = 0 }, { name = "sink" })
local input = desync.stream(100)
local done = sink:pipe_in(input, function(data, item)
  if item == 5000 then error("item 5000 is bad") end
  data.n = data.n + 1
  data.seen[data.n] = item
end)
assert(tostring(done):find("desync.future: sink", 1, true), tostring(done))
assert(done:cancel() == false, "a pipe_in future stands for a running pipe: not cancellable")
local feeder = desync.new({}):future(function(_, out)
  for i = 1, 10000 do out:send(i) end
  out:close()
end, input)
local ok, err = done:result()
assert(not ok and tostring(err):find("item 5000 is bad", 1, true), tostring(err))
feeder:wait(5)
local n, inOrder = sink:sync(function(data)
  for i = 1, data.n do
    local want = i < 5000 and i or i + 1
    if data.seen[i] ~= want then return data.n, false end
  end
  return data.n, true
end)
assert(n == 9999 and inOrder, "processed " .. n)
desync.sleep(0) -- calls into desync: delivers the reports
assert(#errors == 1 and errors[1].name == "sink" and tostring(errors[1].err):find("item 5000"), #errors)
errors = {}

-- a pipe_in whose items all succeed finishes with no results; `after` works on its future
local good = sink:pipe_in(desync.stream.from({ 1, 2, 3 }), function(data, x) data.last = x end)
local afterwards = sink:after(good, function(data) return data.last end)
assert(afterwards:wait(5) == 3)
assert(select("#", good:wait(5)) == 0 and good:status() == "done")

-- after on a pipe_in future from another object, while the stream is still open: a sync behind
-- the after waits for the pipe
local later = desync.stream()
local piped = desync.new({ n = 0 })
local pf = piped:pipe_in(later, function(d, x) d.n = d.n + x end)
local watcher = desync.new({})
local chained = watcher:after(pf, function() return "after the pipe" end)
desync.new({}):async(function(_, st) desync.sleep(0.05); st:send(5); st:close() end, later)
assert(watcher:sync(function() return "behind the after" end) == "behind the after")
assert(chained:wait(5) == "after the pipe" and pf:status() == "done")

-- pipe: order and exactly-once, depth 1 and 5, and the backpressure is exact
for _, depth in ipairs({ 1, 5 }) do
  local worker = desync.new({ taken = 0 })
  local i = 0
  local source = desync.stream.from(function() i = i + 1; if i <= 2000 then return i end end)
  local results = worker:pipe(source, function(data, x) data.taken = data.taken + 1; return x * 3 end, depth)
  desync.sleep(0.1)
  -- nobody reads yet: the pipe took exactly `depth` items and stopped
  assert(worker:sync(function(data) return data.taken end) == depth, "depth " .. depth)
  local count = 0
  for v in results:iter() do
    count = count + 1
    assert(v == count * 3, "depth " .. depth .. ": got " .. v .. " at " .. count)
  end
  assert(count == 2000 and results:closed())
end

-- fn returning nil or nothing sends nothing (a filter); a failing item is reported, skipped
local filter = desync.new({})
local odds = filter:pipe(desync.stream.from({ 1, 2, 3, 4, 5, 6 }), function(_, x)
  if x == 5 then error("five") end
  if x % 2 == 1 then return x, "ignored second result" end
end)
local kept = {}
for v in odds:iter() do kept[#kept + 1] = v end
assert(table.concat(kept, ",") == "1,3", table.concat(kept, ","))
desync.sleep(0)
assert(#errors == 1 and tostring(errors[1].err):find("five"), #errors)
errors = {}

-- a chain of three stages over three objects
local parse = desync.new({}, { name = "parse" })
local square = desync.new({}, { name = "square" })
local total = desync.new({ sum = 0 }, { name = "total" })
local lines = desync.stream(8)
local numbers = parse:pipe(lines, function(_, line) return tonumber(line) end, 3)
local squares = square:pipe(numbers, function(_, x) return x * x end, 2)
local sums = total:pipe(squares, function(data, x) data.sum = data.sum + x; return data.sum end)
desync.new({}):async(function(_, out)
  for i = 1, 500 do out:send(tostring(i)) end
  out:close()
end, lines)
local last, count = nil, 0
for s in sums:iter() do count = count + 1; last = s end
assert(count == 500 and last == 500 * 501 * 1001 / 6, tostring(last))

-- closing the input drains the output before it ends
local slow = desync.new({})
local feed = desync.stream()
local out = slow:pipe(feed, function(_, x) desync.sleep(0.001); return x end, 2)
for i = 1, 20 do feed:send(i) end
feed:close()
local got = {}
for v in out:iter() do got[#got + 1] = v end
assert(#got == 20 and got[20] == 20)

-- while a pipe waits on an open stream, the object is free: sync and async still work
local busy = desync.new({ items = 0, pokes = 0 })
local open = desync.stream()
local waiting = busy:pipe_in(open, function(data) data.items = data.items + 1 end)
assert(busy:sync(function(data) return data.items end) == 0)
busy:async(function(data) data.pokes = data.pokes + 1 end)
assert(busy:sync(function(data) return data.pokes end) == 1)
assert(busy:pending() == 0)
assert(waiting:status() == "running" and not waiting:done())
open:send("one")
local ok2, why = waiting:wait(0.05)
assert(ok2 == nil and why == "timeout")
open:send("two")
open:close()
waiting:wait(5)
assert(busy:sync(function(data) return data.items end) == 2)

-- a pipe reading from a stream that its own object writes to from a job
local loop = desync.new({ got = {} })
local selfFed = desync.stream()
local fed = loop:pipe_in(selfFed, function(data, x) data.got[#data.got + 1] = x end)
loop:async(function(_, st) for i = 1, 3 do st:send(i) end st:close() end, selfFed)
fed:wait(5)
assert(#loop:sync(function(data) return data.got end) == 3)

-- blocked receives on every pool thread do not deadlock the pool
desync.scheduler.set_max_threads(2)
local gate = desync.stream()
local blocked = {}
for i = 1, 4 do
  blocked[i] = desync.new({}):future(function(_, st) return st:receive() end, gate)
end
desync.sleep(0.05)
for i = 1, 4 do gate:send(i * 100) end
local sum = 0
for i = 1, 4 do sum = sum + blocked[i]:wait(10) end
assert(sum == 1000)
-- ... nor do blocked sends, unblocked by a pipe on another object
local narrow = desync.stream(1)
local senders = {}
for i = 1, 4 do
  senders[i] = desync.new({}):future(function(_, st) st:send(i); return true end, narrow)
end
local collector = desync.new({ n = 0 })
local collected = collector:pipe_in(narrow, function(data) data.n = data.n + 1 end)
for i = 1, 4 do assert(senders[i]:wait(10)) end
narrow:close()
collected:wait(10)
assert(collector:sync(function(data) return data.n end) == 4)

-- a pipe keeps its input alive: a generator stream that nothing else holds is still filled to
-- its end after a collection (its owner stops filling a stream once the stream is gone)
local pulls = 0
local kept = desync.new({ n = 0 })
local keptDone = kept:pipe_in(desync.stream.from(function()
  pulls = pulls + 1
  if pulls <= 300 then return pulls end
end, 16), function(data) data.n = data.n + 1 end)
collectgarbage()
collectgarbage()
assert(select("#", keptDone:wait(10)) == 0, "the pipe's input was collected: " .. pulls .. " pulled")
assert(kept:sync(function(data) return data.n end) == 300)

-- misuse
local function fails(pattern, f, ...)
  local ok3, err3 = pcall(f, ...)
  assert(not ok3, "expected an error matching " .. pattern)
  assert(tostring(err3):find(pattern, 1, true), "error '" .. tostring(err3) .. "' lacks '" .. pattern .. "'")
end
local st = desync.stream()
fails("bad argument #1 to 'pipe_in' (desync.stream expected, got table)", sink.pipe_in, sink, {}, print)
fails("bad argument #1 to 'pipe' (desync.stream expected, got no value)", sink.pipe, sink)
fails("bad argument #2 to 'pipe_in' (function expected, got no value)", sink.pipe_in, sink, st)
fails("bad argument #2 to 'pipe' (function expected, got number)", sink.pipe, sink, st, 3)
fails("calling 'pipe_in' on bad self (desync.object expected, got desync.stream)", sink.pipe_in, st, st, print)
fails("bad argument #3 to 'pipe' (depth must be 1 or more)", sink.pipe, sink, st, print, 0)
fails("bad argument #3 to 'pipe' (number has no integer representation)", sink.pipe, sink, st, print, 1.5)
fails("bad argument #3 to 'pipe' (number expected, got string)", sink.pipe, sink, st, print, "x")
local co = coroutine.create(print)
fails("cannot cross", sink.pipe_in, sink, st, function() return co end)
assert(#errors == 0, #errors)

-- left open on purpose: a pipe waiting on a stream nobody closes does not keep the script alive
local forever = desync.stream()
sink:pipe_in(forever, function() end)
sink:pipe(forever, function() end)
