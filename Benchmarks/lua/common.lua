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

--- libuv's threadpool size: UV_THREADPOOL_SIZE, else libuv's default of 4.
function common.threadpool_size()
    return tonumber(os.getenv("UV_THREADPOOL_SIZE") or "") or 4
end

--- The number given as the script's argument `index`, or `default`.
function common.argument(index, default)
    return tonumber(arg and arg[index] or "") or default
end

return common
