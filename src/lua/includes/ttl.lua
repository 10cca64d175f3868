-- Retention. A thread with a TTL has one deadline (`expires`, ms, in its record) and every one of
-- its keys expires at that same moment (PEXPIREAT), so a thread never loses some checkpoints and
-- keeps others. Pushing the deadline means touching every key of the thread, so it is pushed only
-- when less than 90% of the TTL is left: a thread expires between 0.9 x TTL and TTL after its last
-- activity, and an active thread pays the O(keys) refresh once per 10% of its TTL. In between,
-- a script only gives the deadline to the keys it created.

local function now_ms()
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- What apply_ttl needs of the thread record, read in one call. Scripts that read the record
-- anyway pass these fields instead (see put-1.lua).
local function ttl_state(base)
  local r = redis.call("HMGET", thread_key(base), "created", "ttl", "expires")
  return { exists = r[1] ~= false, own = r[2], expires = r[3] }
end

local function each_thread_key(base, fn)
  fn(thread_key(base))
  fn(nss_key(base))
  for _, ns in ipairs(redis.call("SMEMBERS", nss_key(base))) do
    for _, key in ipairs({ ckpts_key(base, ns), blobs_key(base, ns), items_key(base, ns), wids_key(base, ns), leaves_key(base, ns), names_key(base, ns) }) do fn(key) end
    for _, id in ipairs(redis.call("ZRANGE", ckpts_key(base, ns), 0, -1)) do
      fn(ckpt_key(base, ns, id))
      fn(writes_key(base, ns, id))
    end
    for _, id in ipairs(redis.call("SMEMBERS", wids_key(base, ns))) do fn(writes_key(base, ns, id)) end
  end
end

-- Applies the thread's TTL after a script changed (or, with refresh, read) it. `created` lists the
-- keys the script created or re-created. `push`: "force" pushes the deadline whatever is left,
-- "due" pushes it when less than 90% of the TTL is left, "no" only dates the created keys (for
-- scripts whose callers do not pass the new deadline on to the owner's listing). `state` is the
-- thread record's TTL fields (ttl_state), read here when not given.
-- Returns the deadline in ms, or 0 when the thread does not expire.
local function apply_ttl(base, default_ttl, created, push, state)
  state = state or ttl_state(base)
  local ttl = tonumber(state.own or default_ttl) or 0
  if not state.exists then
    -- Keys of a thread without a record yet (writes before any checkpoint) still expire.
    if ttl > 0 then
      local at = string.format("%.0f", now_ms() + ttl)
      for _, key in ipairs(created) do redis.call("PEXPIREAT", key, at) end
    end
    return 0
  end
  local thread = thread_key(base)
  if ttl <= 0 then
    if state.expires then
      redis.call("HDEL", thread, "expires")
      each_thread_key(base, function(key) redis.call("PERSIST", key) end)
    end
    return 0
  end
  local now = now_ms()
  local deadline = tonumber(state.expires or "0")
  if push == "force" or deadline == 0 or (push == "due" and deadline - now < ttl * 0.9) then
    deadline = now + ttl
    redis.call("HSET", thread, "expires", string.format("%.0f", deadline))
    each_thread_key(base, function(key) redis.call("PEXPIREAT", key, string.format("%.0f", deadline)) end)
  else
    for _, key in ipairs(created) do redis.call("PEXPIREAT", key, string.format("%.0f", deadline)) end
  end
  return deadline
end
