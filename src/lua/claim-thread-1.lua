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
  expiry), 1 when a move to a new deadline is left to step through (includes/ttl.lua) else 0,
  the thread's status sequence number, status and pending interrupts (JSON array), for the
  owner's status index (includes/thread-status.lua) },
  NOT_OWNER (someone else's; nothing changed), or EXISTS (with "fresh": the thread
  exists; nothing changed).
]]
--- @include "keys"
--- @include "codes"
--- @include "ttl"
--- @include "epoch"
--- @include "thread-status"
local rcall = redis.call
local thread = thread_key(KEYS[1])

-- A thread a graph already ran on may be interrupted or failed.
local function status()
  local st = rcall("HMGET", thread, "sq", "st", "sit")
  return st[1] or "0", st[2] or "idle", thread_interrupts(thread, st[3])
end
local owner = rcall("HGET", thread, "owner")
if ARGV[3] == "fresh" and (rcall("EXISTS", thread) == 1 or rcall("SCARD", nss_key(KEYS[1])) > 0) then
  return EXISTS
end
if owner then
  if owner == ARGV[1] then
    local deadline, moving = apply_ttl(KEYS[1], ARGV[4], {}, "no")
    return { 2, deadline, moving and 1 or 0, status() }
  end
  return NOT_OWNER
end
rcall("HSET", thread, "owner", ARGV[1])
rcall("HSETNX", thread, "created", ARGV[2])
rcall("HSETNX", thread, "epoch", new_epoch())
rcall("HSETNX", thread, "updated", ARGV[2])
local deadline, moving = apply_ttl(KEYS[1], ARGV[4], { thread }, "force")
return { 1, deadline, moving and 1 or 0, status() }
