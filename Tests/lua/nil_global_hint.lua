-- a nil global inside a job says that the caller's globals do not cross (issue 18)
function square(x) return x * x end
local obj = desync.new({})
local ok, err = pcall(obj.sync, obj, function() return square(2) end)
assert(not ok)
local first = tostring(err):match("^[^\n]*")
assert(first:find("attempt to call a nil value (global 'square')", 1, true), first)
assert(first:find("globals do not cross into a desync job: pass 'square' as an argument, or capture it in a local", 1, true), first)
assert(tostring(err):find("\nstack traceback:", 1, true))
-- indexing too, and through a future
local f = obj:future(function() return config.depth end)
local _, ferr = f:result()
assert(tostring(ferr):match("^[^\n]*"):find("pass 'config' as an argument", 1, true), tostring(ferr))
-- the hint is given once, also when a nested job's error passes through another job
local outer = desync.new({})
local _, nested = pcall(outer.sync, outer, function(_, inner)
  return inner:sync(function() return missing_fn() end)
end, obj)
local _, count = tostring(nested):gsub("globals do not cross", "")
assert(count == 1, tostring(nested))
-- other errors are left alone
local _, plain = pcall(obj.sync, obj, function() local t; return t.x end)
assert(not tostring(plain):find("globals do not cross", 1, true))
-- the advice works: capture it in a local
local sq = square
assert(obj:sync(function() return sq(3) end) == 9)
