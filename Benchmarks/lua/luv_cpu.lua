-- Peer of "lua 4 CPU-bound jobs": the same 4 CPU-bound jobs on luv's work queue, all 4 queued at
-- once (libuv's threadpool, UV_THREADPOOL_SIZE threads, 4 by default) and one at a time (the next
-- is queued by the previous one's after-callback). The speed-up is the second over the first,
-- taken round by round: each round times both, back to back (common.measure_pair).
-- The job is the same loop as DesyncLuaBenchmarks' spin.
--   lua5.4 luv_cpu.lua [iterations per job] [samples]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local uv = require "luv"
local common = require "common"

local size = common.argument(1, 4000000)
local samples = common.argument(2, 10)
local jobs = 4

local expected = 0
do
    local s = 0
    for i = 1, size do s = s + i % 7 end
    expected = s
end

local done = 0
local next_job   -- set by one_at_a_time: queues the next job from the after-callback
local work = uv.new_work(
    function(n)
        local s = 0
        for i = 1, n do s = s + i % 7 end
        return s
    end,
    function(result)
        assert(result == expected, "luv: wrong result")
        done = done + 1
        if next_job then next_job() end
    end)

local function all_at_once()
    done, next_job = 0, nil
    for _ = 1, jobs do work:queue(size) end
    uv.run()
    assert(done == jobs)
end

local function one_at_a_time()
    done = 0
    local queued = 1
    next_job = function()
        if queued < jobs then queued = queued + 1; work:queue(size) end
    end
    work:queue(size)
    uv.run()
    next_job = nil
    assert(done == jobs)
end

common.measure_pair("lua 4 CPU-bound jobs: luv new_work, 4 at once",
    "lua 4 CPU-bound jobs: luv new_work, 1 at a time", jobs, 1, samples, all_at_once, one_at_a_time)
