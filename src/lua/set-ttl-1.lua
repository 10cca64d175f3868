#!lua
--[[
  setTTL: gives a thread its own TTL, pins it (never expires), or returns it to the saver's
  default; every key of the thread gets the new deadline (a big thread in steps, see
  includes/ttl.lua).

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  the thread's TTL in ms, "0" to pin it, "" for the saver's default
  ARGV[2]  the saver's default TTL in ms, "0" for none
  ARGV[3]  owner the caller acts for, or "" for no owner check

  Returns { the deadline in ms (0 = no expiry), 1 when a move to it is left to step through
  (includes/ttl.lua) else 0 }, false when the thread does not exist, or NOT_OWNER.
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "ttl"
local base = KEYS[1]
if owner_mismatch(base, ARGV[3]) then return NOT_OWNER end
if redis.call("EXISTS", thread_key(base)) == 0 then return false end
if ARGV[1] == "" then
  redis.call("HDEL", thread_key(base), "ttl")
else
  redis.call("HSET", thread_key(base), "ttl", ARGV[1])
end
local deadline, moving = apply_ttl(base, ARGV[2], {}, "force")
return { deadline, moving and 1 or 0 }
