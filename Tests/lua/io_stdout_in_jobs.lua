-- A job's io.stdout writes whole lines (issue 18), and is otherwise the stock file: the same
-- results and the same error messages as the script's own io, for stdout and for other files
local cases = {
  "io.write({})",
  "io.stdout:write({})",
  "io.stdout.write(5)",
  "io.stdout:write('', {})",
  "io.stdout.flush(5)",
  "local t = setmetatable({}, { __index = getmetatable(io.stdout).__index }) t:flush()",
  "io.stdout:close()",
  "local f = io.tmpfile() f:close() f:write('x')",
  "local f = io.tmpfile() io.output(f) f:close() local ok, e = pcall(io.write, 'x') io.output(io.stdout) error(e, 0)",
  "local f = io.tmpfile() io.output(f) f:close() local ok, e = pcall(io.flush) io.output(io.stdout) error(e, 0)",
  "io.stdout:setvbuf('sideways')",
}
local function outcomes()
  local got = {}
  for i, source in ipairs(cases) do
    local ok, err = pcall(load(source, "=case"))
    got[i] = tostring(ok) .. " " .. tostring(err)
  end
  return got
end
local obj = desync.new({})
local here, there = outcomes(), obj:sync(function(_, f) return f() end, outcomes)
for i = 1, #cases do
  assert(here[i] == there[i], cases[i] .. ": " .. here[i] .. " in the script, " .. there[i] .. " in a job")
end

-- results: the file itself, true for flushes, another file written as usual
local written, flushed, back, default, kind = obj:sync(function()
  local f = io.tmpfile()
  f:write("a", 1, " ", 2.5, "\n") f:seek("set")
  local back = f:read("a")
  f:close()
  return io.write("") == io.stdout and io.stdout:write("") == io.stdout,
    io.flush() == io.stdout:flush(), back, io.output() == io.stdout, io.type(io.stdout)
end)
assert(written and flushed and back == "a1 2.5\n" and default and kind == "file", tostring(back))
