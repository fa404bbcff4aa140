-- every misuse is a clear Lua error naming the bad argument, never a crash
local function fails(pattern, f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern, 1, true), "error '" .. tostring(err) .. "' lacks '" .. pattern .. "'")
end
local obj = desync.new({})
fails("bad argument #1 to 'new' (value expected, got no value)", desync.new)
fails("bad argument #1 to 'new' (value expected, got nil)", desync.new, nil)
fails("bad argument #2 to 'new' (table expected, got number)", desync.new, {}, 5)
fails("field 'name' must be a string", desync.new, {}, { name = 1 })
-- a misspelt option is an error, not ignored (issue 18)
fails("bad argument #2 to 'new' (unknown option 'nme')", desync.new, {}, { nme = "x" })
fails("bad argument #2 to 'new' (unknown option 'nme')", desync.new, {}, { name = "ok", nme = "x" })
fails("bad argument #2 to 'new' (unknown option key of type number)", desync.new, {}, { "x" })
assert(desync.new({}, { name = "fine" }):name() == "fine")
assert(desync.new({}, {}):name():match("^#%d+$"))
fails("bad argument #1 to 'sync' (function expected, got number)", obj.sync, obj, 42)
fails("bad argument #1 to 'async' (function expected, got no value)", obj.async, obj)
fails("bad argument #1 to 'future' (function expected, got string)", obj.future, obj, "x")
fails("calling 'sync' on bad self (desync.object expected, got table)", obj.sync, {}, print)
fails("calling 'pending' on bad self (desync.object expected, got no value)", obj.pending)
local f = obj:future(function() return 1 end)
fails("bad argument #1 to 'wait' (number expected, got string)", f.wait, f, "soon")
fails("timeout must be a number of seconds, not NaN", f.wait, f, 0 / 0)
fails("calling 'wait' on bad self (desync.future expected, got desync.object)", f.wait, obj)
fails("bad argument #1 to 'after' (desync.future expected, got table)", obj.after, obj, {}, print)
fails("bad argument #2 to 'after' (function expected, got nil)", obj.after, obj, f, nil)
fails("bad argument #1 to 'set_max_threads' (number expected, got string)", desync.scheduler.set_max_threads, "x")
fails("thread count must be between 0 and 4096", desync.scheduler.set_max_threads, -1)
fails("number has no integer representation", desync.scheduler.set_max_threads, 1.5)
fails("number has no integer representation", desync.scheduler.set_max_threads, "1.5")
-- numbers given as strings are numbers, as luaL_checkinteger and luaL_checknumber take them
do
  local before = desync.scheduler.max_threads()
  desync.scheduler.set_max_threads("3")
  assert(desync.scheduler.max_threads() == 3)
  desync.scheduler.set_max_threads(before)
  desync.sleep("0.001")
end
fails("bad argument #1 to 'sleep' (number expected, got nil)", desync.sleep, nil)
fails("bad argument #1 to 'on_error' (function or nil expected, got number)", desync.on_error, 3)
fails("would wait for itself forever", obj.sync, obj, function() return desync.self():sync(function() end) end)
fails("from inside one of its own jobs", obj.sync, obj, function()
  local later = desync.self():future(function() end)
  return later:wait()
end)
-- try_sync from inside its own job reports busy instead
local ok, why = obj:sync(function() return desync.self():try_sync(function() end) end)
assert(ok == false and why == "busy")
-- a huge value crosses, cyclic ones too
local big = {}
for i = 1, 100000 do big[i] = i end
assert(obj:sync(function(_, t) return #t end, big) == 100000)
-- deep nesting is fine or a clean error, never a crash
local deep = {}
local cur = deep
for _ = 1, 10000 do cur.next = {}; cur = cur.next end
assert(obj:sync(function(_, t) return t.next ~= nil end, deep) == true)
