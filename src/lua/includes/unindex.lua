--- @include "user-keys"
--- @include "user-status"
-- Removes a conversation from its user's record, listing, tag, agent, expiry, status and search
-- indexes. The tags and agent to remove are read from the stored record, so whatever was indexed
-- is removed.
-- Returns 1 if the conversation had a record, else 0.
local function unindex(ubase, thread_id)
  local rcall = redis.call
  local record = rcall("HGET", user_meta_key(ubase), thread_id)
  rcall("ZREM", user_convs_key(ubase), thread_id)
  rcall("ZREM", user_expiry_key(ubase), thread_id)
  forget_status(ubase, thread_id)
  if not record then return 0 end
  local ok, decoded = pcall(cjson.decode, record)
  if ok and type(decoded) == "table" then
    if type(decoded.agentId) == "string" then index_remove(ubase, user_agent_key(ubase, decoded.agentId), thread_id) end
    if type(decoded.tags) == "table" then
      for _, tag in ipairs(decoded.tags) do
        if type(tag) == "string" then index_remove(ubase, user_tag_key(ubase, tag), thread_id) end
      end
    end
  end
  rcall("HDEL", user_meta_key(ubase), thread_id)
  -- The user's last conversation: nothing is left that a kept total or a generation describes.
  if rcall("HLEN", user_meta_key(ubase)) == 0 then rcall("DEL", user_gen_key(ubase), user_totals_key(ubase)) end
  return 1
end

-- Drops up to `limit` conversations whose thread's deadline has passed (their keys are gone).
local function sweep_expired(ubase, now, limit)
  for _, id in ipairs(redis.call("ZRANGEBYSCORE", user_expiry_key(ubase), "-inf", now, "LIMIT", 0, limit)) do
    unindex(ubase, id)
  end
end
