-- f:on_done(fn) and desync.poll(): callbacks run in the calling state, only inside poll, in the
-- order the futures finished; a callback's error is raised by poll and the rest wait for the next
-- poll; desync.poll_fd() is readable exactly while callbacks wait (checked with luv when present)
local desync = require "desync"
local o = desync.new({})
local f = o:future(function() desync.sleep(0.1); return 1, "two" end)
local got = {}
assert(f:on_done(function(ok, a, b) got[#got+1] = {ok, a, b} end) == f)
assert(desync.poll() == 0)
local fd = desync.poll_fd()
assert(math.type(fd) == "integer")
f:wait()
assert(desync.poll() == 1, "one callback")
assert(got[1][1] == true and got[1][2] == 1 and got[1][3] == "two")
local bad = o:future(function() error("boom") end)
bad:on_done(function(ok, err) got.err = err; error("callback failed") end)
bad:on_done(function(ok, err) got.second = ok end)
bad:result()
local ok, err = pcall(desync.poll)
assert(not ok and err:find("callback failed", 1, true), err)
assert(err:find("stack traceback", 1, true))
assert(got.err:find("boom"), got.err)
assert(got.second == nil)
assert(desync.poll() == 1 and got.second == false)
local ok2, err2 = pcall(f.on_done, f, 42)
assert(not ok2 and err2:find("bad argument #1 to 'on_done' (function expected, got number)", 1, true), err2)

-- poll with nothing waiting returns 0 at once, any number of times
for _ = 1, 3 do assert(desync.poll() == 0) end

-- a future already done: its callback still waits for poll
local done = o:future(function() return "now" end)
done:wait()
local seen
done:on_done(function(ok, v) seen = v end)
assert(seen == nil)
assert(desync.poll() == 1 and seen == "now")

-- a cancelled future reports (false, "cancelled")
local blocker = desync.new({})
local gate = blocker:future(function() desync.sleep(0.2) end)
local cancelled = blocker:future(function() return "never" end)
assert(cancelled:cancel())
local outcome = {}
cancelled:on_done(function(ok, err) outcome = { ok, err } end)
gate:wait()
assert(desync.poll() == 1)
assert(outcome[1] == false and outcome[2] == "cancelled", tostring(outcome[2]))

-- the eventfd: readable while callbacks wait, not once poll ran them
local has_luv, uv = pcall(require, "luv")
if has_luv then
  local function readable()
    local seen_readable = false
    local watcher = uv.new_poll(desync.poll_fd())
    watcher:start("r", function() seen_readable = true end)
    uv.run("nowait")
    watcher:close()
    uv.run("nowait")
    return seen_readable
  end
  assert(not readable(), "nothing waits yet")
  local later = o:future(function() return 1 end)
  later:on_done(function() end)
  later:wait()
  assert(readable(), "a callback waits")
  assert(desync.poll() == 1)
  assert(not readable(), "poll ran it")
end

-- callbacks registered inside a job run in that object's state, at its own poll
local inner = desync.new({})
local n = inner:sync(function(data)
  local peer = desync.new({})
  data.f = peer:future(function() return 7 end)
  data.f:on_done(function(ok, v) data.v = v end)
  data.f:wait()
  return desync.poll()
end)
assert(n == 1)
assert(inner:sync(function(data) return data.v end) == 7)
