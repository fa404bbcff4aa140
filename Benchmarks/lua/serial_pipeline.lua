-- Peer of "lua pipeline of 20k records" (issue 16): the work of scripts/examples/pipeline.lua's
-- three stages (parse "id,price,quantity" lines into records, price them, aggregate) done in one
-- plain serial Lua loop, with the same records made the same way. The target: desync-lua's
-- pipeline on the default pool within 1.5x of this.
--   lua5.4 serial_pipeline.lua [records] [samples]
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local common = require "common"

local rows = common.argument(1, 20000)
local samples = common.argument(2, 10)

local function once()
    local count, total, biggest, tax = 0, 0, 0, 0.2
    for i = 1, rows do
        local line = string.format("%d,%d.%02d,%d", i, i % 97, i % 100, i % 7 + 1)
        local id, price, quantity = line:match("^(%d+),([%d.]+),(%d+)$")
        local r = { id = tonumber(id), price = tonumber(price), quantity = tonumber(quantity) }
        local c = { id = r.id, cost = r.price * r.quantity * (1 + tax) }
        count = count + 1
        total = total + c.cost
        if c.cost > biggest then biggest = c.cost end
    end
    assert(count == rows and biggest > 0, "serial pipeline: wrong result")
end

common.measure("lua pipeline of 20k records: plain serial Lua loop", rows, 1, samples, once)
