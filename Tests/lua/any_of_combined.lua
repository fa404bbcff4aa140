-- desync.any over a combined future (all, any) passes that future's own results on, so "all of
-- these within a deadline" is any({ all(parts), timer(deadline) }) (issue 18: it gave 1 and
-- nothing else)
local parts = { desync.spawn(function() return 1 end), desync.spawn(function() return 2, "x" end) }
local which, list = desync.any({ desync.all(parts), desync.timer(5) }):wait()
assert(which == 1 and type(list) == "table", tostring(list))
assert(list[1] == 1 and list[2] == 2 and #list == 2)
local ok, w, l = desync.any({ desync.all(parts), desync.timer(5) }):result()
assert(ok and w == 1 and type(l) == "table" and l[2] == 2)
-- any of any: the outer index, then the inner one's index and results
local i, j, v, x = desync.any({ desync.any({ desync.timer(5), parts[2] }) }):wait()
assert(i == 1 and j == 2 and v == 2 and x == "x", tostring(j))
-- inside a job too
local obj = desync.new({})
assert(obj:sync(function(_, p)
  local w2, l2 = desync.any({ desync.all(p), desync.timer(5) }):wait()
  return w2 == 1 and l2[1] == 1 and l2[2] == 2
end, parts))
