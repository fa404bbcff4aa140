-- Shared by the luv peers: timing with uv.hrtime() and one JSON line per benchmark row, which
-- scripts/bench collects and report.py merges into the table (these are not ordo-one benchmarks).
local uv = require "luv"

local common = {}

--- Runs `once` `warmup` times untimed, then `samples` times, each timed with uv.hrtime();
--- prints {"name": ..., "jobs": jobs per sample, "samples_ns": [...]} on one line.
function common.measure(name, jobs, warmup, samples, once)
    for _ = 1, warmup do once() end
    local times = {}
    for k = 1, samples do
        local start = uv.hrtime()
        once()
        times[k] = string.format("%d", uv.hrtime() - start)
    end
    io.write(string.format('{"name": "%s", "jobs": %d, "threadpool": %d, "samples_ns": [%s]}\n',
        name, jobs, common.threadpool_size(), table.concat(times, ", ")))
    io.flush()
end

--- Times two configurations of the same jobs in pairs, `samples` rounds after `warmup` untimed
--- ones: each round runs `parallel` and `serial` back to back, alternating which goes first, so
--- the speed-up serial/parallel of a round is taken within a second (this VM's speed drifts by
--- 30-40% over longer spans). Prints one line per configuration, as `measure` does, with the
--- other's name as "paired_with": sample k of one and sample k of the other are one round.
function common.measure_pair(parallel_name, serial_name, jobs, warmup, samples, parallel, serial)
    for _ = 1, warmup do parallel(); serial() end
    local parallel_times, serial_times = {}, {}
    local function timed(once)
        local start = uv.hrtime()
        once()
        return string.format("%d", uv.hrtime() - start)
    end
    for k = 1, samples do
        if k % 2 == 0 then
            serial_times[k] = timed(serial)
            parallel_times[k] = timed(parallel)
        else
            parallel_times[k] = timed(parallel)
            serial_times[k] = timed(serial)
        end
    end
    for _, row in ipairs({ { parallel_name, serial_name, parallel_times }, { serial_name, parallel_name, serial_times } }) do
        io.write(string.format('{"name": "%s", "paired_with": "%s", "jobs": %d, "threadpool": %d, "samples_ns": [%s]}\n',
            row[1], row[2], jobs, common.threadpool_size(), table.concat(row[3], ", ")))
    end
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
