-- errors: raised in the caller with the job's traceback; objects go on after an error
local obj = desync.new({ n = 1 }, { name = "erring" })
local ok, err = pcall(obj.sync, obj, function() local t = nil; return t.x end)
assert(not ok and err:find("attempt to index", 1, true), err)
assert(err:find("stack traceback", 1, true), "no traceback in: " .. err)
assert(obj:sync(function(d) return d.n end) == 1)
-- error objects that are tables come back as tables
local ok2, e2 = pcall(obj.sync, obj, function() error({ reason = "table" }) end)
assert(not ok2 and type(e2) == "table" and e2.reason == "table")

-- async errors go to on_error: fn(err, obj) in the state that installed it
local seen = {}
desync.on_error(function(e, o) seen[#seen + 1] = tostring(o) .. "|" .. tostring(e) end)
obj:async(function() error("async failure") end)
obj:sync(function() end)          -- the async job has run
desync.sleep(0)                   -- a call into desync delivers the report
assert(#seen == 1, "reports: " .. #seen)
assert(seen[1]:find("desync.object: erring|", 1, true) and seen[1]:find("async failure", 1, true), seen[1])
-- the object ran its next job after the failure
assert(obj:sync(function(d) return d.n end) == 1)
desync.on_error(nil)

-- results that cannot cross are an error naming them
local ok3, e3 = pcall(obj.sync, obj, function() return coroutine.create(print) end)
assert(not ok3 and e3:find("result 1: coroutine cannot cross", 1, true), e3)
-- arguments that cannot cross are refused before anything is queued
local ok4, e4 = pcall(obj.async, obj, function() end, { log = { file = io.stdout } })
assert(not ok4, "io.stdout inside a copied table should not cross")
assert(e4:find("userdata cannot cross", 1, true), e4)
