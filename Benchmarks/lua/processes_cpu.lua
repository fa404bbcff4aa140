-- The hardware ceiling of "lua 4 CPU-bound jobs": the same 4 jobs in independent lua5.4
-- processes (cpu_worker.lua), which share no lock, no allocator and no scheduler, so their
-- speed-up is what the machine itself allows (cores, SMT siblings, turbo, the hypervisor).
-- 4 processes each run 1 job at once vs 1 process runs the 4 jobs in a row; the speed-up is the
-- second over the first, taken round by round: each round times both, back to back
-- (common.measure_pair).
--
-- The processes are started (and warmed up) before the timing, like desync-lua's objects and
-- luv's threadpool: a sample is from sending the requests on the processes' stdin to reading
-- every answer, so process start-up (4 of them vs 1) does not count on either side.
--   lua5.4 processes_cpu.lua [iterations per job] [samples]
local here = arg[0]:match("^(.*)/") or "."
package.path = here .. "/?.lua;" .. package.path
local uv = require "luv"
local common = require "common"

local size = common.argument(1, 4000000)
local samples = common.argument(2, 10)
local jobs = 4
local lua = arg[-1] or "lua5.4"   -- the interpreter running this script runs the workers too

local expected = 0
do
    local s = 0
    for i = 1, size do s = s + i % 7 end
    expected = s
end

local pending = 0   -- answers not read yet, over every worker
local closing = false

--- Starts one worker process; its answers are checked and counted off `pending` as they arrive.
local function start_worker()
    local worker = { stdin = uv.new_pipe(false), stdout = uv.new_pipe(false), buffer = "", wanted = {} }
    local process, err = uv.spawn(lua, { args = { here .. "/cpu_worker.lua" }, stdio = { worker.stdin, worker.stdout, 2 } },
        function(code, signal)
            assert(code == 0 and signal == 0, "cpu_worker.lua failed (exit " .. code .. ", signal " .. signal .. ")")
            worker.process:close()
        end)
    assert(process, err)
    worker.process = process
    worker.stdout:read_start(function(read_error, chunk)
        assert(not read_error, read_error)
        if not chunk then
            assert(closing, "cpu_worker.lua ended before answering")
            worker.stdout:close()
            return
        end
        worker.buffer = worker.buffer .. chunk
        for line in worker.buffer:gmatch("([^\n]*)\n") do
            assert(tonumber(line) == table.remove(worker.wanted, 1), "cpu_worker.lua: wrong result " .. line)
            pending = pending - 1
        end
        worker.buffer = worker.buffer:match("[^\n]*$")
    end)
    return worker
end

--- Asks `worker` for `count` jobs in a row.
local function ask(worker, count)
    worker.wanted[#worker.wanted + 1] = expected * count
    pending = pending + 1
    worker.stdin:write(size .. " " .. count .. "\n")
end

local function wait_for_answers()
    while pending > 0 do uv.run("once") end
end

local workers = {}
for k = 1, jobs do workers[k] = start_worker() end

local function all_at_once()
    for k = 1, jobs do ask(workers[k], 1) end
    wait_for_answers()
end

local function in_a_row()
    ask(workers[1], jobs)
    wait_for_answers()
end

common.measure_pair("lua 4 CPU-bound jobs: 4 lua5.4 processes at once (hardware ceiling)",
    "lua 4 CPU-bound jobs: 1 lua5.4 process, 4 jobs in a row", jobs, 1, samples, all_at_once, in_a_row)

-- The workers exit at the end of their stdin.
closing = true
for k = 1, jobs do workers[k].stdin:close() end
uv.run()
