-- streams: channels of Lua values shared by reference between the host and objects
local function fails(pattern, f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern, 1, true), "error '" .. tostring(err) .. "' lacks '" .. pattern .. "'")
end

-- values cross by copy, in order; tables, integers and floats keep their shape
local s = desync.stream()
assert(tostring(s) == "desync.stream: open, 0 queued, unbounded", tostring(s))
s:send(1); s:send(2.5); s:send("three"); s:send({ four = { 4 } }); s:send(false)
assert(tostring(s) == "desync.stream: open, 5 queued, unbounded", tostring(s))
assert(math.type(s:receive()) == "integer")
assert(s:receive() == 2.5 and s:receive() == "three")
assert(s:receive().four[1] == 4)
assert(s:receive() == false)

-- between objects: a producer object sends, a consumer object receives, the host collects
local a, b = desync.new({}, { name = "a" }), desync.new({}, { name = "b" })
local numbers, doubled = desync.stream(4), desync.stream(4)
local produced = a:future(function(_, out)
  for i = 1, 100 do out:send(i) end
  out:close()
  return "sent"
end, numbers)
local consumed = b:future(function(_, input, out)
  local n = 0
  for v in input:iter() do out:send(v * 2); n = n + 1 end
  out:close()
  return n
end, numbers, doubled)
local expected = 2
for v in doubled:iter() do assert(v == expected, v); expected = expected + 2 end
assert(expected == 202)
assert(produced:wait(5) == "sent" and consumed:wait(5) == 100)

-- a stream's identity survives crossing: the object sees the same stream
local same = a:sync(function(_, x, y) return rawequal(x, y) end, s, s)
assert(same == true)

-- capacity: send blocks while the stream is full
local small = desync.stream(2)
local filler = a:future(function(_, out) for i = 1, 3 do out:send(i) end return "done" end, small)
desync.sleep(0.1)
assert(not filler:done(), "the third send should wait for room")
assert(small:receive(5) == 1)
assert(filler:wait(5) == "done")
assert(small:receive(5) == 2 and small:receive(5) == 3)

-- timeouts
local empty = desync.stream()
local t0 = desync.clock()
local v, why = empty:receive(0.05)
assert(v == nil and why == "timeout")
assert(desync.clock() - t0 >= 0.04)
v, why = empty:receive(0)
assert(v == nil and why == "timeout")
local late = a:future(function(_, out) desync.sleep(0.05); out:send("late") end, empty)
assert(empty:receive(5) == "late")
late:wait(5)

-- close: receivers drain what was sent, then get nil; sends are refused
local c = desync.stream(3)
c:send("x"); c:send("y")
assert(not c:closed())
c:close(); c:close()
assert(c:closed())
assert(tostring(c) == "desync.stream: closed, 2 queued, capacity 3", tostring(c))
fails("cannot send on a closed desync.stream", c.send, c, "z")
assert(c:receive() == "x" and c:receive() == "y")
v, why = c:receive()
assert(v == nil and why == nil)
assert(c:receive(1) == nil)
-- close wakes a receiver blocked in another object
local waiting = desync.stream()
local waiter = b:future(function(_, st) return st:receive() == nil end, waiting)
desync.sleep(0.05)
waiting:close()
assert(waiter:wait(5) == true)
-- ... and a sender blocked on a full stream
local full = desync.stream(1)
full:send(1)
local blocked = b:future(function(_, st) return pcall(st.send, st, 2) end, full)
desync.sleep(0.05)
full:close()
local ok, err = blocked:wait(5)
assert(ok == false and err:find("closed desync.stream", 1, true), tostring(err))

-- iter
local it = desync.stream.from({ "a", "b", "c" })
local seen = {}
for x in it:iter() do seen[#seen + 1] = x end
assert(table.concat(seen) == "abc")

-- from(list) stops at the first nil; from(function) calls until nil
local list = desync.stream.from({ 1, 2, nil, 4 })
assert(list:closed() and list:receive() == 1 and list:receive() == 2 and list:receive() == nil)
local n = 0
local counted = desync.stream.from(function() n = n + 1; if n <= 3 then return n * 10 end end)
assert(counted:receive() == 10 and counted:receive() == 20 and counted:receive() == 30 and counted:receive() == nil)
local words = desync.stream.from(string.gmatch("one two three", "%a+"))
seen = {}
for w in words:iter() do seen[#seen + 1] = w end
assert(table.concat(seen, ",") == "one,two,three")
assert(desync.stream.from({}):receive() == nil)
fails("boom", desync.stream.from, function() error("boom") end)

-- misuse
fails("bad argument #1 to 'stream' (capacity must be 1 or more)", desync.stream, 0)
fails("bad argument #1 to 'stream' (capacity must be 1 or more)", desync.stream, -1)
fails("bad argument #1 to 'stream' (number has no integer representation)", desync.stream, 1.5)
fails("bad argument #1 to 'stream' (number expected, got string)", desync.stream, "x")
assert(desync.stream(nil):send(1) == nil)
fails("bad argument #1 to 'send' (nil cannot be sent)", s.send, s, nil)
fails("bad argument #1 to 'send' (value expected, got no value)", s.send, s)
fails("bad argument #2 to 'send' (no value expected", s.send, s, 1, 2)
fails("calling 'send' on bad self (desync.stream expected, got table)", s.send, {}, 1)
fails("calling 'receive' on bad self (desync.stream expected, got desync.object)", s.receive, a)
fails("calling 'close' on bad self (desync.stream expected, got no value)", s.close)
fails("calling 'closed' on bad self (desync.stream expected, got number)", s.closed, 3)
fails("calling 'iter' on bad self (desync.stream expected, got string)", s.iter, "s")
fails("bad argument #1 to 'receive' (number expected, got string)", s.receive, s, "soon")
-- a negative timeout means 0 (issue 18, Tests/lua/negative_timeouts.lua); NaN is a misuse
fails("timeout must be a number of seconds, not NaN", s.receive, s, 0 / 0)
fails("bad argument #1 to 'from' (table or function expected, got number)", desync.stream.from, 5)
fails("bad argument #1 to 'from' (table or function expected, got no value)", desync.stream.from)
fails("cannot cross", s.send, s, coroutine.create(print))
fails("item 2", desync.stream.from, { 1, coroutine.create(print) })
-- a failed send sent nothing
assert(s:receive(0) == nil)
-- the stream constructor also works inside objects, and streams made there come back
local made = a:sync(function()
  local st = desync.stream(1)
  st:send("from a")
  return st
end)
assert(made:receive() == "from a")
