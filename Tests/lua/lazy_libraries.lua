-- An object's state opens most standard libraries, and desync's module, on first use: a job sees
-- the same globals as with everything open, and an object that never uses them stays small.

local function fresh() return desync.new({ n = 0 }) end

-- A small first job leaves the state small (everything open: about 35 KB).
local small = fresh()
small:sync(function(data, x) data.n = data.n + x end, 1)
small:sync(function() collectgarbage() collectgarbage() end)
assert(small:memory() < 16 * 1024, "an object's state after a small job holds " .. small:memory() .. " bytes")

-- pairs(_G) lists every library, as in a state with everything open.
local names = fresh():sync(function()
  local seen = {}
  for name in pairs(_G) do seen[#seen + 1] = name end
  table.sort(seen)
  return table.concat(seen, " ")
end)
for _, name in ipairs({ "coroutine", "debug", "desync", "io", "math", "os", "package", "require", "string", "table", "utf8", "print", "pairs" }) do
  assert((" " .. names .. " "):find(" " .. name .. " ", 1, true), "pairs(_G) in a job lacks " .. name .. ": " .. names)
end

-- Each library works on first use, in any order, and require gives the same table as the global.
assert(fresh():sync(function() return math.floor(3.7) + #("abc"):upper() end) == 6)
assert(fresh():sync(function() return "10" + 1 end) == 11, "string arithmetic before string is used")
assert(fresh():sync(function() return require("math") == math and require("table") == table and require("string") == string end))
assert(fresh():sync(function() return table == require("table") end))
assert(fresh():sync(function() return require("desync") == desync and type(desync.sleep) == "function" end))
assert(fresh():sync(function() return utf8.char(72, 105) .. os.date("!%Y", 0) end) == "Hi1970")
assert(fresh():sync(function() return coroutine.isyieldable() end) == true, "a job is a coroutine")
assert(fresh():sync(function() return debug.getinfo(1, "S").what end) == "Lua")
assert(fresh():sync(function() return package.loaded.string == string and type(package.searchers) == "table" end))

-- The object's package.path is the host's, also when `package` opens late.
local path = package.path
assert(fresh():sync(function() return package.path end) == path)

-- A desync function arrives as the target's own, also before the job touched `desync`.
local sleep = desync.sleep
assert(fresh():sync(function() return rawequal(sleep, desync.sleep) end), "desync.sleep crossed as another function")

-- A function using a library crosses to an object that has not opened it yet.
local format = string.format
local floor = math.floor
assert(fresh():sync(function() return format("%d", floor(2.5)) end) == "2")
assert(fresh():sync(function() return math.pi end) == math.pi)

-- Replacing the globals' metatable (strict mode) keeps every library.
local strict = fresh():sync(function()
  setmetatable(_G, { __index = function(_, name) error("undeclared global " .. name, 2) end })
  local ok, err = pcall(function() return undeclared_thing end)
  return math.max(1, 2), table.concat({ "a", "b" }), ok, err
end)
assert(strict == 2)
-- setmetatable keeps its own errors.
local ok, err = fresh():sync(function() return pcall(setmetatable, 1, {}) end)
assert(not ok and err:find("bad argument #1 to 'setmetatable' (table expected, got number)", 1, true), err)

-- print is a C function without upvalues: it crosses into jobs, and writes a whole line.
desync.new("lazy libraries:"):sync(print, "print crossed")
assert(fresh():sync(function() local t = setmetatable({}, { __tostring = function() return "T" end }) print("x", 1, nil, t) return true end))

-- The io functions read the default files from the registry: sent into an object that has not
-- opened io, they find them (this crashed the process).
local write, flush = io.write, io.flush
assert(fresh():sync(function() write("") flush() return true end))
fresh():async(function(_, f) f() end, io.flush)

-- Strict mode made by editing the globals' metatable, as scripts do: looking at it opens every
-- library and gives nil, as in a state with everything open.
assert(fresh():sync(function()
  local mt = getmetatable(_G) or {}
  mt.__newindex = function(_, n) error("assign to undeclared global " .. n, 2) end
  mt.__index = function(_, n) error("variable " .. n .. " is not declared", 2) end
  setmetatable(_G, mt)
  return math.max(1, 2) + #table.concat({ "a" }) + (type(require) == "function" and 1 or 0)
end) == 4)
assert(fresh():sync(function()
  assert(getmetatable(_G) == nil, "getmetatable(_G) in a job")
  local mt = {}
  setmetatable(_G, mt)
  mt.__index = function(_, n) error("variable " .. n .. " is not declared", 2) end
  return math.max(1, 2)
end) == 2)

-- setmetatable and getmetatable cross like any C function without upvalues.
local sm = fresh():sync(function() return setmetatable end)
assert(getmetatable(sm({}, { __index = { x = 1 } })).__index.x == 1)
assert(fresh():sync(function() local setmetatable = setmetatable return function(t) return setmetatable(t, {}) end end) ~= nil)

-- A require the job set before `package` opened stays.
assert(fresh():sync(function() require = function(n) return "mine:" .. n end setmetatable(_G, nil) return require("x") end) == "mine:x")

-- Under a memory limit a library still opens (as if it had been open from the start).
local m = math
for limit = 9000, 20000, 500 do
  local limited = desync.new({}, { memory_limit = limit })
  local ok, got = pcall(limited.sync, limited, function() return m end)
  assert(not ok or got == math, "math arrived as " .. tostring(got) .. " at limit " .. limit)
end

-- A global set before its library was used stays the job's own.
assert(fresh():sync(function() table = "mine" return table end) == "mine")
print("lazy libraries: ok")
