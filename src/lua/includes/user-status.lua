--- @include "user-keys"
-- A conversation's status in its owner's slot, for listings filtered by it:
--   status hash     thread id -> "<seq>:<status>", the thread's own status (idle, interrupted or
--                   error) as the thread's scripts last reported it (includes/thread-status.lua);
--                   absent: idle
--   intr hash       thread id -> JSON array of the pending interrupts (only when there are some)
--   run hash, runs  thread id -> `<generation>:<token>` of the last run that held the
--                   conversation's lease (lease-conversation-1.lua), and that lease's deadline (ms)
--                   while it holds it: busy while the deadline has not passed
--   by-status:<s>   the conversations whose status, busy included, is that one: each conversation
--                   is in exactly one of the four indexes (includes/user-keys.lua)
local STATUSES = { "idle", "busy", "interrupted", "error" }

-- The status a conversation shows now.
local function conversation_status(ubase, thread_id, now)
  local lease = redis.call("ZSCORE", user_runs_key(ubase), thread_id)
  if lease and tonumber(lease) > now then return "busy" end
  local stored = redis.call("HGET", user_status_key(ubase), thread_id)
  return stored and string.match(stored, "^%d+:(.*)$") or "idle"
end

-- The statuses of several conversations, in two commands.
local function statuses_of(ubase, ids, now)
  local leases = redis.call("ZMSCORE", user_runs_key(ubase), unpack(ids))
  local stored = redis.call("HMGET", user_status_key(ubase), unpack(ids))
  local out = {}
  for i = 1, #ids do
    if leases[i] and tonumber(leases[i]) > now then
      out[i] = "busy"
    else
      out[i] = stored[i] and string.match(stored[i], "^%d+:(.*)$") or "idle"
    end
  end
  return out
end

-- Puts a conversation in the status index it belongs to, and out of the others.
local function place_status(ubase, thread_id, now)
  local status = conversation_status(ubase, thread_id, now)
  for _, name in ipairs(STATUSES) do
    if name == status then
      index_add(ubase, user_status_set_key(ubase, name), thread_id, "s")
    else
      index_remove(ubase, user_status_set_key(ubase, name), thread_id, "s")
    end
  end
  return status
end

-- Runs whose lease passed its deadline without being released (their process died): the
-- conversations go back to their own status. Up to `limit` a call.
local function sweep_leases(ubase, now, limit)
  for _, id in ipairs(redis.call("ZRANGEBYSCORE", user_runs_key(ubase), "-inf", now, "LIMIT", 0, limit)) do
    redis.call("ZREM", user_runs_key(ubase), id)
    place_status(ubase, id, now)
  end
end

-- Everything the status and search indexes hold of a conversation.
local function forget_status(ubase, thread_id)
  local rcall = redis.call
  for _, name in ipairs(STATUSES) do index_remove(ubase, user_status_set_key(ubase, name), thread_id, "s") end
  rcall("HDEL", user_status_key(ubase), thread_id)
  rcall("HDEL", user_intr_key(ubase), thread_id)
  rcall("HDEL", user_run_key(ubase), thread_id)
  rcall("ZREM", user_runs_key(ubase), thread_id)
  rcall("ZREM", user_created_key(ubase), thread_id)
  local indexed = rcall("HGET", user_cdk_key(ubase), thread_id)
  if indexed then
    for _, suffix in ipairs(cjson.decode(indexed)) do index_remove(ubase, user_custom_key(ubase, suffix), thread_id) end
    rcall("HDEL", user_cdk_key(ubase), thread_id)
  end
end

-- Indexes a conversation's customData: `suffixes` name one index per top-level key and value.
local function index_custom(ubase, thread_id, suffixes)
  if #suffixes == 0 then return end
  for _, suffix in ipairs(suffixes) do index_add(ubase, user_custom_key(ubase, suffix), thread_id) end
  redis.call("HSET", user_cdk_key(ubase), thread_id, cjson.encode(suffixes))
end
