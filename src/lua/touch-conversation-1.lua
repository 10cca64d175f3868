#!lua
--[[
  touchConversation: after activity on a conversation's thread, moves it to the top of its user's
  listing and records the thread's expiry deadline. Does nothing for a conversation that is not
  indexed (deleted), so a late touch never brings one back.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  thread id
  ARGV[2]  the thread's deadline in ms, "0" when it does not expire, "" to leave it as it is (a
           put's activity sent beside the put, before its reply says whether the deadline moved)
  ARGV[3]  "1" to count as activity (move up), "0" to record the deadline only

  Returns 1, or 0 when the conversation is not indexed.
]]
--- @include "keys"
--- @include "user-keys"
--- @include "next-score"
local ubase, thread_id = KEYS[1], ARGV[1]
if redis.call("HEXISTS", user_meta_key(ubase), thread_id) == 0 then return 0 end
if ARGV[3] == "1" then redis.call("ZADD", user_convs_key(ubase), next_score(ubase), thread_id) end
if ARGV[2] == "" then
  -- the deadline stays
elseif ARGV[2] == "0" then
  redis.call("ZREM", user_expiry_key(ubase), thread_id)
else
  redis.call("ZADD", user_expiry_key(ubase), ARGV[2], thread_id)
end
return 1
