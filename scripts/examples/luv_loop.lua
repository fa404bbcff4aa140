-- desync beside an event loop (luv, the libuv binding: apt install lua-luv): a luv timer ticks on
-- this thread while desync jobs run on the pool, and each job's result comes back to this thread
-- through f:on_done, whose callbacks run when the loop sees desync.poll_fd() readable and calls
-- desync.poll(). Nothing here blocks: the loop never waits for a job.
--   LUA_CPATH="$(scripts/lua-module)/?.so;;" lua5.4 scripts/examples/luv_loop.lua
--   scripts/desync-lua scripts/examples/luv_loop.lua
local uv = require "luv"
local desync = require "desync"

local jobs, results, ticks = 4, {}, 0

local timer = uv.new_timer()
timer:start(0, 20, function() ticks = ticks + 1 end)

-- Readable while on_done callbacks wait: poll runs them here, on the loop's thread.
local watcher = uv.new_poll(desync.poll_fd())
watcher:start("r", function() desync.poll() end)

for i = 1, jobs do
  local worker = desync.new({ id = i }, { name = "worker " .. i })
  local f = worker:future(function(data)
    desync.sleep(0.1 * data.id)      -- blocks a pool thread, not the loop
    return data.id * data.id
  end)
  f:on_done(function(ok, square)
    assert(ok, square)
    results[#results + 1] = square
    print(("worker %d reported %d after %d ticks"):format(i, square, ticks))
    if #results == jobs then
      timer:close()
      watcher:close()
    end
  end)
end

uv.run()   -- returns once nothing is left open: the timer and watcher close with the last result

assert(#results == jobs, "every job reported back")
assert(ticks >= 10, "the timer kept ticking while the jobs ran (" .. ticks .. " ticks)")
print(("the loop ticked %d times while %d jobs ran"):format(ticks, jobs))
