-- an object's state searches modules with its maker's package.path/cpath as they were when the
-- object was made, not as at startup, nor as changed later (issue 18)
local base = os.tmpname()
local file = assert(io.open(base .. "_probe18.lua", "w"))
file:write("return { answer = 42 }\n")
file:close()
local original_path, original_cpath = package.path, package.cpath
package.path = base .. "_?.lua;" .. original_path
package.cpath = "/nowhere18/?.so;" .. original_cpath
local made_with_path = desync.new({})
package.path = original_path  -- changed after the object was made: not seen by it
local made_after = desync.new({})
package.cpath = original_cpath
local answer, cpath = made_with_path:sync(function()
  return require("probe18").answer, package.cpath
end)
assert(answer == 42, tostring(answer))
assert(cpath:find("/nowhere18/", 1, true), cpath)
local ok, err = pcall(made_after.sync, made_after, function() return require("probe18") end)
assert(not ok and tostring(err):find("module 'probe18' not found", 1, true), tostring(err))
-- an object made inside a job takes that job's state's paths
local inner = made_with_path:sync(function()
  local nested = desync.new({})
  return nested:sync(function() return require("probe18").answer end)
end)
assert(inner == 42)
os.remove(base .. "_probe18.lua")
os.remove(base)
