#!lua
--[[
  claimThread: makes a user the owner of a thread, the thread-side half of creating a
  conversation. A thread a graph already ran on keeps its checkpoints and gains an owner.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  user id
  ARGV[2]  now, in ms since the epoch
  ARGV[3]  "fresh" to accept only a thread that does not exist yet (imports), or ""
  ARGV[4]  the saver's default TTL in ms, "0" for none

  Returns { 1 (claimed now) or 2 (already this user's: a retried create), deadline in ms (0 = no
  expiry), 1 when a move to a new deadline is left to step through (includes/ttl.lua) else 0 },
  NOT_OWNER (someone else's; nothing changed), or EXISTS (with "fresh": the thread
  exists; nothing changed).
]]
--- @include "keys"
--- @include "codes"
--- @include "ttl"
--- @include "epoch"
local rcall = redis.call
local thread = thread_key(KEYS[1])
local owner = rcall("HGET", thread, "owner")
if ARGV[3] == "fresh" and (rcall("EXISTS", thread) == 1 or rcall("SCARD", nss_key(KEYS[1])) > 0) then
  return EXISTS
end
if owner then
  if owner == ARGV[1] then
    local deadline, moving = apply_ttl(KEYS[1], ARGV[4], {}, "no")
    return { 2, deadline, moving and 1 or 0 }
  end
  return NOT_OWNER
end
rcall("HSET", thread, "owner", ARGV[1])
rcall("HSETNX", thread, "created", ARGV[2])
rcall("HSETNX", thread, "epoch", new_epoch())
rcall("HSETNX", thread, "updated", ARGV[2])
local deadline, moving = apply_ttl(KEYS[1], ARGV[4], { thread }, "force")
return { 1, deadline, moving and 1 or 0 }
