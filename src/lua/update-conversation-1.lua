#!lua
--[[
  updateConversation: replaces a conversation's record if it is still the one the caller read
  (compare-and-set), moves its tag, agent and customData index entries, and counts as activity.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  thread id
  ARGV[2]  the record as read (JSON, byte for byte)
  ARGV[3]  the new record (JSON)
  ARGV[4]  old agent id, or ""
  ARGV[5]  new agent id, or ""
  ARGV[6]  T, the number of old tags
  ARGV[7]  U, the number of new tags
  ARGV[8 .. 7+T]        old tags
  ARGV[8+T .. 7+T+U]    new tags
  ARGV[8+T+U .. ]       the new record's customData index suffixes (includes/user-keys.lua)

  Returns the new activity score (string), false when there is no such conversation, or CHANGED
  when the record changed since it was read (nothing written; read again and retry).
]]
--- @include "keys"
--- @include "user-keys"
--- @include "user-status"
--- @include "codes"
--- @include "next-score"
local rcall = redis.call
local ubase, thread_id = KEYS[1], ARGV[1]
local current = rcall("HGET", user_meta_key(ubase), thread_id)
if not current then return false end
if current ~= ARGV[2] then return CHANGED end
local t, u = tonumber(ARGV[6]), tonumber(ARGV[7])
if ARGV[4] ~= "" then index_remove(ubase, user_agent_key(ubase, ARGV[4]), thread_id) end
for i = 8, 7 + t do index_remove(ubase, user_tag_key(ubase, ARGV[i]), thread_id) end
if ARGV[5] ~= "" then index_add(ubase, user_agent_key(ubase, ARGV[5]), thread_id) end
for i = 8 + t, 7 + t + u do index_add(ubase, user_tag_key(ubase, ARGV[i]), thread_id) end
local indexed = rcall("HGET", user_cdk_key(ubase), thread_id)
if indexed then
  for _, suffix in ipairs(cjson.decode(indexed)) do index_remove(ubase, user_custom_key(ubase, suffix), thread_id) end
  rcall("HDEL", user_cdk_key(ubase), thread_id)
end
index_custom(ubase, thread_id, { unpack(ARGV, 8 + t + u) })
rcall("HSET", user_meta_key(ubase), thread_id, ARGV[3])
local score = next_score(ubase)
rcall("ZADD", user_convs_key(ubase), score, thread_id)
return score
