-- Peer of "lua 100k async then drain": queue 100k small jobs on luv's work queue (libuv's
-- threadpool, each thread with a Lua state of its own, like a desync object), then run the loop
-- until every job's after-callback has run. Same shape as DesyncLuaBenchmarks' bench_async.
--   lua5.4 luv_async.lua [jobs] [samples]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local uv = require "luv"
local common = require "common"

local jobs = common.argument(1, 100000)
local samples = common.argument(2, 10)

local total, done = 0, 0
-- The job: a small piece of arithmetic on its argument, the result going back to the loop thread.
local work = uv.new_work(
    function(i) return i + 1 end,
    function(result) total = total + result; done = done + 1 end)

local function once()
    total, done = 0, 0
    for i = 1, jobs do work:queue(i) end
    uv.run()
    assert(done == jobs, "luv: not every job ran")
end

common.measure("lua 100k async then drain: luv new_work", jobs, 1, samples, once)
