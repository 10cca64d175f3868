#!lua
--[[
  setHead: makes a checkpoint the head of its namespace (switchBranch). Reads without checkpoint
  id return it from now on, and a resumed run continues from it.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id
  ARGV[3]  owner the caller acts for, or "" for no owner check
  ARGV[4]  the saver's default TTL in ms, "0" for none

  Returns 1, false when there is no such checkpoint, or NOT_OWNER.
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "ttl"
local base, ns, id = KEYS[1], ARGV[1], ARGV[2]
if owner_mismatch(base, ARGV[3]) then return NOT_OWNER end
if not redis.call("ZSCORE", ckpts_key(base, ns), id) then return false end
redis.call("HSET", thread_key(base), head_field(ns), id)
apply_ttl(base, ARGV[4], {}, "no")
return 1
