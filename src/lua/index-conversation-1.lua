#!lua
--[[
  indexConversation: the user-side half of creating a conversation: its record and its entries in
  the user's listing, tag and agent indexes, atomically in the user's slot.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  thread id
  ARGV[2]  conversation record (JSON)
  ARGV[3]  agent id, or "" for none
  ARGV[4]  the thread's expiry deadline in ms, "0" when it does not expire
  ARGV[5 .. ]  tags

  Returns the activity score (string), or EXISTS (nothing changed).
]]
--- @include "keys"
--- @include "user-keys"
--- @include "codes"
--- @include "next-score"
local rcall = redis.call
local ubase, thread_id = KEYS[1], ARGV[1]
if rcall("HEXISTS", user_meta_key(ubase), thread_id) == 1 then return EXISTS end
local score = next_score(ubase)
rcall("HSET", user_meta_key(ubase), thread_id, ARGV[2])
rcall("ZADD", user_convs_key(ubase), score, thread_id)
if ARGV[3] ~= "" then rcall("SADD", user_agent_key(ubase, ARGV[3]), thread_id) end
if ARGV[4] ~= "0" then rcall("ZADD", user_expiry_key(ubase), ARGV[4], thread_id) end
for i = 5, #ARGV do rcall("SADD", user_tag_key(ubase, ARGV[i]), thread_id) end
return score
