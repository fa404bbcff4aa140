-- Shared by the luv peers: timing with uv.hrtime() and one JSON line per benchmark row, which
-- scripts/bench collects and report.py merges into the table (these are not ordo-one benchmarks).
local uv = require "luv"

local common = {}

--- `once`'s run time in nanoseconds, as a string for the JSON line.
local function timed(once)
    local start = uv.hrtime()
    once()
    return string.format("%d", uv.hrtime() - start)
end

--- Prints one benchmark row: {"name": ..., ["paired_with": ...,] "jobs": jobs per sample,
--- "threadpool": ..., "samples_ns": [...]}.
local function write_row(name, paired_with, jobs, times)
    local pairing = paired_with and string.format('"paired_with": "%s", ', paired_with) or ""
    io.write(string.format('{"name": "%s", %s"jobs": %d, "threadpool": %d, "samples_ns": [%s]}\n',
        name, pairing, jobs, common.threadpool_size(), table.concat(times, ", ")))
end

--- Runs `once` `warmup` times untimed, then `samples` times, each timed with uv.hrtime(), and
--- prints its row.
function common.measure(name, jobs, warmup, samples, once)
    for _ = 1, warmup do once() end
    local times = {}
    for k = 1, samples do times[k] = timed(once) end
    write_row(name, nil, jobs, times)
    io.flush()
end

--- Times two configurations of the same jobs in pairs, `samples` rounds after `warmup` untimed
--- ones: each round runs `parallel` and `serial` back to back, alternating which goes first, so
--- the speed-up serial/parallel of a round is taken within a second (this VM's speed drifts by
--- 30-40% over longer spans). Prints one row per configuration, as `measure` does, with the
--- other's name as "paired_with": sample k of one and sample k of the other are one round.
function common.measure_pair(parallel_name, serial_name, jobs, warmup, samples, parallel, serial)
    for _ = 1, warmup do parallel(); serial() end
    local parallel_times, serial_times = {}, {}
    for k = 1, samples do
        if k % 2 == 0 then
            serial_times[k] = timed(serial)
            parallel_times[k] = timed(parallel)
        else
            parallel_times[k] = timed(parallel)
            serial_times[k] = timed(serial)
        end
    end
    write_row(parallel_name, serial_name, jobs, parallel_times)
    write_row(serial_name, parallel_name, jobs, serial_times)
    io.flush()
end

--- libuv's threadpool size: UV_THREADPOOL_SIZE, else libuv's default of 4.
function common.threadpool_size()
    return tonumber(os.getenv("UV_THREADPOOL_SIZE") or "") or 4
end

--- The number given as the script's argument `index`, or `default`.
function common.argument(index, default)
    return tonumber(arg and arg[index] or "") or default
end

return common
