#!lua
--[[
  prune: keeps the newest N checkpoints of every namespace of a thread, with the channel values
  and writes they need; removes the rest.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  N, the checkpoints to keep per namespace (1 or more)

  Returns the number of checkpoints removed.
]]
--- @include "keys"
--- @include "prune"
local removed = 0
for _, ns in ipairs(redis.call("SMEMBERS", nss_key(KEYS[1]))) do
  removed = removed + prune_ns(KEYS[1], ns, tonumber(ARGV[1]))
end
return removed
