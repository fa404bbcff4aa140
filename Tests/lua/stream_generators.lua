-- desync.stream.from(fn) pulls lazily (issue 20: it called fn to its end before returning, so an
-- endless generator never returned). Long generators here are finite, so that a regression fails
-- an assertion instead of eating memory forever.
local LONG = 200000

-- the calling state pulls the first value at once, the others as it receives them
local i = 0
local s = desync.stream.from(function() i = i + 1; if i <= LONG then return i end end)
assert(i == 1, "from(fn) pulled " .. i .. " values before returning")
assert(not s:closed())
assert(s:receive() == 1 and s:receive() == 2 and s:receive() == 3)
assert(i == 3, i)
assert(tostring(s) == "desync.stream: open, 0 queued, capacity 64", tostring(s))

-- a loop over io.lines through a stream reads the file as it goes
local path = os.tmpname()
local file = assert(io.open(path, "w"))
for n = 1, 50000 do file:write("line ", n, "\n") end
file:close()
local read = 0
local lines = io.lines(path)
local st = desync.stream.from(function() local l = lines(); if l then read = read + 1 end; return l end)
assert(read == 1, read)
local seen = 0
for line in st:iter() do
  seen = seen + 1
  assert(line == "line " .. seen)
  assert(read == seen, "read ahead of the loop: " .. read .. " for " .. seen)
  if seen == 10 then break end
end
assert(read == 10)
os.remove(path)

-- a pipe on another object reads it: the owner fills it, at most its capacity ahead
local j = 0
local source = desync.stream.from(function() j = j + 1; if j <= LONG then return j end end, 16)
local doubler = desync.new({}, { name = "doubler" })
local doubled = doubler:pipe(source, function(_, v) return v * 2 end, 4)
for n = 1, 100 do assert(doubled:receive(5) == n * 2) end
desync.sleep(0.1)
doubler:sync(function() end)
-- taken: 100 received + 4 in the output + 1 the pipe holds; the source: 16 more at most
assert(j <= 100 + 4 + 1 + 16 + 1, "the generator ran ahead: " .. j)
source:close()

-- a job on another object receives from it while the script waits
local k = 0
local counted = desync.stream.from(function() k = k + 1; if k <= 500 then return k end end, 32)
local summer = desync.new({}, { name = "summer" })
local total = summer:future(function(_, input)
  local sum = 0
  for v in input:iter() do sum = sum + v end
  return sum
end, counted)
assert(total:wait(30) == 500 * 501 / 2)

-- the capacity argument, misuse
local small = desync.stream.from(function() return 1 end, 2)
assert(tostring(small) == "desync.stream: open, 1 queued, capacity 2", tostring(small))
local function fails(pattern, f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern, 1, true), "error '" .. tostring(err) .. "' lacks '" .. pattern .. "'")
end
fails("bad argument #2 to 'from' (capacity must be 1 or more)", desync.stream.from, function() end, 0)
fails("cannot send on a desync.stream made by desync.stream.from(fn)", small.send, small, 2)
small:close()

-- an error in the generator: raised by the owner's receive that asked for the value
local calls = 0
local failing = desync.stream.from(function()
  calls = calls + 1
  if calls == 2 then error({ code = 42 }) end
  return calls
end)
assert(failing:receive() == 1)
local ok, err = pcall(failing.receive, failing)
assert(not ok and type(err) == "table" and err.code == 42, tostring(err))
assert(failing:closed() and failing:receive() == nil)

-- a generator made inside a job is that object's: the job reads it
local maker = desync.new({}, { name = "maker" })
assert(maker:sync(function()
  local n = 0
  local own = desync.stream.from(function() n = n + 1; if n <= 5 then return n end end)
  local sum = 0
  for v in own:iter() do sum = sum + v end
  return sum, n
end) == 15)
