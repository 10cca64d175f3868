--[[
  touchConversation: moves a conversation to the top of its user's listing after activity on its
  thread (a checkpoint put). Does nothing for a conversation that is not indexed (deleted), so a
  late touch never brings one back.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  thread id

  Returns the new activity score (string), or false.
]]
--- @include "keys"
--- @include "next-score"
local ubase, thread_id = KEYS[1], ARGV[1]
if redis.call("HEXISTS", user_meta_key(ubase), thread_id) == 0 then return false end
local score = next_score(ubase)
redis.call("ZADD", user_convs_key(ubase), score, thread_id)
return score
