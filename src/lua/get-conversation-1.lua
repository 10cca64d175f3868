--[[
  getConversation: a conversation's record and activity score from its owner's slot. Only the
  owner's own indexes are read, so another user's conversation is simply not there.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  thread id

  Returns { record, score, status, pending interrupts (JSON array) }, or nil when the user has no such conversation (or it expired: then
  its index entries are removed).
]]
--- @include "keys"
--- @include "user-keys"
--- @include "ttl"
--- @include "unindex"
--- @include "user-status"
local ubase, thread_id = KEYS[1], ARGV[1]
local record = redis.call("HGET", user_meta_key(ubase), thread_id)
if not record then return false end
local now = now_ms()
local deadline = redis.call("ZSCORE", user_expiry_key(ubase), thread_id)
if deadline and tonumber(deadline) <= now then
  unindex(ubase, thread_id)
  return false
end
local interrupts = redis.call("HGET", user_intr_key(ubase), thread_id) or "[]"
return { record, redis.call("ZSCORE", user_convs_key(ubase), thread_id) or "0", conversation_status(ubase, thread_id, now), interrupts }
