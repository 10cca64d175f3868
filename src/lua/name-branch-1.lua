#!lua
--[[
  nameBranch: gives a name to a checkpoint; the branches through it carry the name (see
  read-branches), so the name follows a branch as it grows.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id
  ARGV[3]  name, or "" to remove the name
  ARGV[4]  owner the caller acts for, or "" for no owner check
  ARGV[5]  the saver's default TTL in ms, "0" for none

  Returns 1, false when there is no such checkpoint, or NOT_OWNER.
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "ttl"
local base, ns, id = KEYS[1], ARGV[1], ARGV[2]
if owner_mismatch(base, ARGV[4]) then return NOT_OWNER end
if not redis.call("ZSCORE", ckpts_key(base, ns), id) then return false end
if ARGV[3] == "" then
  redis.call("HDEL", names_key(base, ns), id)
else
  redis.call("HSET", names_key(base, ns), id, ARGV[3])
  apply_ttl(base, ARGV[5], { names_key(base, ns) }, "no")
end
return 1
