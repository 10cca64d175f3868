--[[
  unindexConversation: removes a conversation from its user's record, listing, tag and agent
  indexes. The tags and agent to remove are read from the stored record itself, so whatever was
  indexed is removed.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  thread id

  Returns 1 if the conversation was indexed, 0 if not.
]]
--- @include "keys"
local rcall = redis.call
local ubase, thread_id = KEYS[1], ARGV[1]
local record = rcall("HGET", user_meta_key(ubase), thread_id)
rcall("ZREM", user_convs_key(ubase), thread_id)
if not record then return 0 end
local ok, decoded = pcall(cjson.decode, record)
if ok and type(decoded) == "table" then
  if type(decoded.agentId) == "string" then rcall("SREM", user_agent_key(ubase, decoded.agentId), thread_id) end
  if type(decoded.tags) == "table" then
    for _, tag in ipairs(decoded.tags) do
      if type(tag) == "string" then rcall("SREM", user_tag_key(ubase, tag), thread_id) end
    end
  end
end
rcall("HDEL", user_meta_key(ubase), thread_id)
return 1
