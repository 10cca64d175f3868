#!lua
--[[
  setConversationStatus: the thread's own status (idle, interrupted or error) and pending
  interrupts, as a put or putWrites script derived them, into the owner's status indexes. Sent
  beside (never inside) the thread's scripts, since the owner's indexes live in another slot:
  updates of one thread may arrive out of order, so the one with the highest sequence number wins
  and older ones change nothing. Does nothing for a conversation that is not indexed.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  thread id
  ARGV[2]  the thread's status sequence number (includes/thread-status.lua)
  ARGV[3]  "idle", "interrupted" or "error"
  ARGV[4]  the pending interrupts (JSON array)

  Returns the status the conversation shows now (busy while a run holds it), or false when this
  update changed nothing.
]]
--- @include "keys"
--- @include "user-keys"
--- @include "user-status"
--- @include "ttl"
local rcall = redis.call
local ubase, thread_id = KEYS[1], ARGV[1]
if rcall("HEXISTS", user_meta_key(ubase), thread_id) == 0 then return false end
local stored = rcall("HGET", user_status_key(ubase), thread_id)
local seq = tonumber(ARGV[2])
if stored and tonumber(string.match(stored, "^(%d+):")) >= seq then return false end
rcall("HSET", user_status_key(ubase), thread_id, ARGV[2] .. ":" .. ARGV[3])
if ARGV[4] ~= "[]" then
  rcall("HSET", user_intr_key(ubase), thread_id, ARGV[4])
else
  rcall("HDEL", user_intr_key(ubase), thread_id)
end
return place_status(ubase, thread_id, now_ms())
