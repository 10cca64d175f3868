--[[
  threadStats: what one thread holds, for the inspector's `stats`: its checkpoints, keys and the
  memory of those keys (MEMORY USAGE, exact). Reads the thread's own indexes; scans nothing.

  KEYS[1]  thread base `P:{T}`

  Returns { checkpoints, keys, bytes, 1 if the thread has a conversation owner else 0 }.
]]
--- @include "keys"
--- @include "ttl"
local base = KEYS[1]
local checkpoints, keys, bytes = 0, 0, 0
for _, ns in ipairs(redis.call("SMEMBERS", nss_key(base))) do
  checkpoints = checkpoints + redis.call("ZCARD", ckpts_key(base, ns))
end
each_thread_key(base, function(key)
  local size = redis.call("MEMORY", "USAGE", key, "SAMPLES", "0")
  if size then
    keys = keys + 1
    bytes = bytes + size
  end
end)
return { checkpoints, keys, bytes, redis.call("HEXISTS", thread_key(base), "owner") }
