--[[
  getConversation: a conversation's record and activity score from its owner's slot. Only the
  owner's own indexes are read, so another user's conversation is simply not there.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  thread id

  Returns { record, score }, or nil when the user has no such conversation.
]]
--- @include "keys"
local ubase, thread_id = KEYS[1], ARGV[1]
local record = redis.call("HGET", user_meta_key(ubase), thread_id)
if not record then return false end
return { record, redis.call("ZSCORE", user_convs_key(ubase), thread_id) or "0" }
