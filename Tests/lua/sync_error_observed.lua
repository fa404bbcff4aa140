-- A job's sync on a busy object whose job fails raises the error in the caller, once: it is not
-- also reported as an error nobody observed (the batch run would then exit 1).
local busy = desync.new({}, { name = "busy" })
local caller = desync.new({}, { name = "caller" })
for round = 1, 20 do
  busy:async(function() desync.sleep(0.002) end)   -- busy when the caller's sync arrives
  local ok, err = caller:sync(function(_, other)
    return pcall(other.sync, other, function() error("failing sync " .. 1) end)
  end, busy)
  assert(ok == false and tostring(err):find("failing sync 1", 1, true), tostring(err))
end
collectgarbage(); collectgarbage()
busy:sync(function() end)
print("sync_error_observed ok")
