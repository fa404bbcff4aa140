-- desync.show: readable Lua for tables, without running metamethods, to a small depth (issue 18)
local show = desync.show
local function is(got, want) assert(got == want, "got " .. got .. ", want " .. want) end

is(show({ "a", "b", n = 1 }), '{ "a", "b", n = 1 }')
is(show({}), "{}")
is(show("str"), '"str"')
is(show(12), "12")
is(show(1.0), "1.0")
is(show(nil), "nil")
is(show(true), "true")
-- keys that are not names are bracketed; strings are escaped
is(show({ ["a b"] = "q\"\n", [true] = 1.5 }), '{ ["a b"] = "q\\"\\n", [true] = 1.5 }')
-- nested to a small depth, then {...}; the depth can be given
is(show({ 1, { 2, { 3, { 4 } } } }), "{ 1, { 2, { 3, {...} } } }")
is(show({ { 1 } }, 1), "{ {...} }")
-- a cycle is marked
local cyclic = { x = 1 }
cyclic.self = cyclic
is(show(cyclic), "{ self = <cycle>, x = 1 }")
-- long tables and strings are cut
local long = {}
for i = 1, 30 do long[i] = i end
assert(show(long):match("^{ 1, 2, .*, 20, %.%.%. }$"), show(long))
is(show(string.rep("x", 100)), '"' .. string.rep("x", 60) .. '"...')
-- no __index, __pairs or __len runs
local guarded = setmetatable({ 1 }, {
  __index = function() error("ran __index") end,
  __pairs = function() error("ran __pairs") end,
  __len = function() error("ran __len") end,
})
is(show(guarded), "{ 1 }")
-- __tostring is how a value asks to be shown; when it fails, the contents are shown
is(show(setmetatable({}, { __tostring = function() return "custom" end })), "custom")
is(show(setmetatable({ 1 }, { __tostring = function() error("no") end })), "{ 1 }")
-- desync objects, futures and streams with their name and status
local counter = desync.new({}, { name = "counter" })
is(show(counter), "<desync.object counter>")
local gate = desync.stream()
local future = counter:future(function() gate:receive() end)
assert(show(future):match("^<desync%.future counter [a-z]+>$"), show(future))
is(show(counter), "<desync.object counter, 1 queued>")
gate:send(1)
future:wait(5)
is(show(future), "<desync.future counter done>")
is(show({ s = desync.stream() }), "{ s = <desync.stream open, 0 queued> }")
-- inside a job too
is(counter:sync(function() return desync.show({ 1, k = "v" }) end), '{ 1, k = "v" }')
assert(not pcall(show))
assert(not pcall(show, {}, -1))
