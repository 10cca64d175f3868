-- A thread record's epoch: the server's clock in microseconds when the record was created. A
-- thread deleted and created again under the same id gets another one, which tells caches of the
-- old thread apart (thread_validator in includes/delta-walk.lua); no two scripts run in the same
-- microsecond.
local function new_epoch()
  local t = redis.call("TIME")
  return t[1] .. string.format("%06d", tonumber(t[2]))
end
