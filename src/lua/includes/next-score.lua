--- @include "user-keys"
-- The next activity score of a user: the server's clock in microseconds, but always above the
-- user's current top score, so that activity order is exact even within one microsecond and
-- whatever the application servers' clocks say. Returned as a string: Lua would print a number
-- of this size in %.14g and lose digits.
local function next_score(ubase)
  local t = redis.call("TIME")
  local s = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local top = redis.call("ZREVRANGE", user_convs_key(ubase), 0, 0, "WITHSCORES")
  if top[2] and tonumber(top[2]) >= s then s = tonumber(top[2]) + 1 end
  return string.format("%.0f", s)
end
