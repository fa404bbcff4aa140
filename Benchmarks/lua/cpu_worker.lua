-- A worker process of processes_cpu.lua: plain lua5.4, no luv, nothing shared with anyone. Each
-- request on stdin is a line "<iterations> <count>": it runs the CPU-bound job (the same loop as
-- DesyncLuaBenchmarks' spin and luv_cpu.lua's job) `count` times in a row and answers with the
-- sum of the results on one line. It exits at the end of stdin.
local function spin(_, n)
    local s = 0
    for i = 1, n do s = s + i % 7 end
    return s
end

for line in io.lines() do
    local n, count = line:match("^(%d+) (%d+)$")
    assert(n, "cpu_worker.lua: bad request '" .. line .. "'")
    n, count = tonumber(n), tonumber(count)
    local total = 0
    for _ = 1, count do total = total + spin(nil, n) end
    io.write(total, "\n")
    io.flush()
end
