-- Peer of "lua 10k jobs sleeping 0.1 s": 10,000 coroutines, each sleeping 0.1 s on a timer of
-- its own (uv.new_timer; the coroutine yields, the timer's callback resumes it), then uv.run()
-- until every one has finished. Same shape as DesyncLuaBenchmarks' bench_sleep: one loop thread
-- holds every waiter, as desync's suspended jobs hold no thread.
--   lua5.4 luv_sleep.lua [coroutines] [samples] [seconds]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local uv = require "luv"
local common = require "common"

local jobs = common.argument(1, 10000)
local samples = common.argument(2, 10)
local seconds = common.argument(3, 0.1)

local done = 0

--- What a coroutine calls to sleep: a one-shot timer that resumes it.
local function sleep(s)
    local co = coroutine.running()
    local timer = uv.new_timer()
    timer:start(math.floor(s * 1000 + 0.5), 0, function()
        timer:close()
        assert(coroutine.resume(co))
    end)
    coroutine.yield()
end

local function once()
    done = 0
    for _ = 1, jobs do
        coroutine.wrap(function()
            sleep(seconds)
            done = done + 1
        end)()
    end
    uv.run()
    assert(done == jobs, "luv: not every coroutine finished")
end

common.measure("lua 10k jobs sleeping 0.1 s: luv timers, 1 loop thread", jobs, 1, samples, once)
