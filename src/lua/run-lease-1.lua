#!lua
--[[
  runLease: a run's lease on a conversation's thread, so that two runs never write one thread at
  once (ConversationManager.run). The lease is a key holding the run's token, with a TTL the run
  renews while it lives: a run whose process dies frees the thread when its TTL runs out.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  "take" (reject: fail when the thread is taken), "wait" (enqueue: take it, else wait in
           line), "interrupt" (as wait, and ask the run holding the thread to stop at its next
           checkpoint: the thread record's `stop` field names it, and put-1.lua tells that run's
           saver in its reply), "renew", "release" or "leave" (a waiter gives up)
  ARGV[2]  the run's token
  ARGV[3]  the lease's TTL in ms (take, wait, renew)
  ARGV[4]  the user the run is for (take, wait): the thread must be theirs
  ARGV[5]  how long a waiter stays in line without asking again, in ms (wait)

  Waiters are served in order of arrival. A waiter asks again every so often ("wait" again); one
  that has not asked for ARGV[5] ms (its process died) leaves the line, so it never blocks the
  runs behind it.

  Returns, for take, wait and interrupt: { 1, the lease's deadline in ms, the lease's generation (it goes up
  with every lease taken on the thread: the owner's index keeps the newest, see
  lease-conversation-1.lua) } when the run holds the lease, { 0 } when it is taken (take),
  { 2, how many runs are ahead } when the run waits in line (wait), or NOT_OWNER. For renew: the
  new deadline, or 0 when the run no longer holds the lease. For release: the thread's status
  sequence number, status and pending interrupts (the run re-sends them to the owner's index, in
  case an update was lost on the way). For leave: 1.
]]
--- @include "keys"
--- @include "codes"
--- @include "ttl"
--- @include "thread-status"
local rcall = redis.call
local base = KEYS[1]
local mode, token = ARGV[1], ARGV[2]
local lease, queue, waiting = lease_key(base), queue_key(base), waiting_key(base)
local now = now_ms()
local ttl = tonumber(ARGV[3])

if mode == "renew" then
  if rcall("GET", lease) ~= token then return 0 end
  rcall("PEXPIRE", lease, ttl)
  return now + ttl
end
if mode == "release" or mode == "leave" then
  if mode == "release" and rcall("GET", lease) == token then rcall("DEL", lease) end
  if rcall("HGET", thread_key(base), "stop") == token then rcall("HDEL", thread_key(base), "stop") end
  rcall("ZREM", queue, token)
  rcall("ZREM", waiting, token)
  if mode == "leave" then return 1 end
  local st = rcall("HMGET", thread_key(base), "sq", "st", "sit")
  return { st[1] or "0", st[2] or "idle", thread_interrupts(thread_key(base), st[3]) }
end

if rcall("HGET", thread_key(base), "owner") ~= ARGV[4] then return NOT_OWNER end
-- Waiters that stopped asking are gone.
for _, gone in ipairs(rcall("ZRANGEBYSCORE", waiting, "-inf", now)) do
  rcall("ZREM", queue, gone)
  rcall("ZREM", waiting, gone)
end
local holder = rcall("GET", lease)
local first = rcall("ZRANGE", queue, 0, 0)[1]
if holder == token or (not holder and (not first or first == token)) then
  rcall("SET", lease, token, "PX", ttl)
  rcall("ZREM", queue, token)
  rcall("ZREM", waiting, token)
  -- A stop asked of an earlier holder is not this run's.
  if holder ~= token then rcall("HDEL", thread_key(base), "stop") end
  return { 1, now + ttl, rcall("HINCRBY", thread_key(base), "lg", 1) }
end
if mode == "take" then return { 0 } end
if mode == "interrupt" and holder then rcall("HSET", thread_key(base), "stop", holder) end
local t = rcall("TIME")
-- Scores as strings: Lua would print numbers of this size in %.14g and lose digits.
rcall("ZADD", queue, "NX", t[1] .. string.format("%06d", tonumber(t[2])), token)
local patience = tonumber(ARGV[5])
rcall("ZADD", waiting, string.format("%.0f", now + patience), token)
-- The line outlives its most patient waiter: a TTL is only ever lengthened here.
for _, key in ipairs({ queue, waiting }) do
  if rcall("PTTL", key) < 2 * patience then rcall("PEXPIRE", key, 2 * patience) end
end
return { 2, rcall("ZRANK", queue, token) }
