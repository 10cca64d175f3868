#!lua
--[[
  indexConversation: the user-side half of creating a conversation: its record and its entries in
  the user's listing (by activity and by creation), tag, agent, status and customData indexes,
  atomically in the user's slot.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  thread id
  ARGV[2]  conversation record (JSON)
  ARGV[3]  agent id, or "" for none
  ARGV[4]  the thread's expiry deadline in ms, "0" when it does not expire
  ARGV[5]  the thread's status sequence number (includes/thread-status.lua), "0" for a new thread
  ARGV[6]  the thread's status: "idle", "interrupted" or "error"
  ARGV[7]  its pending interrupts (JSON array)
  ARGV[8]  C, the number of customData index suffixes
  ARGV[9 .. 8+C]  customData index suffixes (includes/user-keys.lua)
  ARGV[9+C .. ]   tags

  Returns the activity score (string), or EXISTS (nothing changed).
]]
--- @include "keys"
--- @include "user-keys"
--- @include "user-status"
--- @include "codes"
--- @include "next-score"
--- @include "ttl"
local rcall = redis.call
local ubase, thread_id = KEYS[1], ARGV[1]
if rcall("HEXISTS", user_meta_key(ubase), thread_id) == 1 then return EXISTS end
local score = next_score(ubase)
rcall("HSET", user_meta_key(ubase), thread_id, ARGV[2])
rcall("ZADD", user_convs_key(ubase), score, thread_id)
-- Creation order: the first activity score is unique and never changes.
rcall("ZADD", user_created_key(ubase), score, thread_id)
if ARGV[3] ~= "" then index_add(ubase, user_agent_key(ubase, ARGV[3]), thread_id) end
if ARGV[4] ~= "0" then rcall("ZADD", user_expiry_key(ubase), ARGV[4], thread_id) end
-- The sequence number too, whenever the thread has one: an older update arriving late changes nothing.
if ARGV[5] ~= "0" then rcall("HSET", user_status_key(ubase), thread_id, ARGV[5] .. ":" .. ARGV[6]) end
if ARGV[7] ~= "[]" then rcall("HSET", user_intr_key(ubase), thread_id, ARGV[7]) end
place_status(ubase, thread_id, now_ms())
local c = tonumber(ARGV[8])
index_custom(ubase, thread_id, { unpack(ARGV, 9, 8 + c) })
for i = 9 + c, #ARGV do index_add(ubase, user_tag_key(ubase, ARGV[i]), thread_id) end
return score
