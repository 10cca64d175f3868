--[[
  threadStats: what one thread holds, for the inspector's `stats`: its checkpoints, keys and the
  memory of those keys (MEMORY USAGE: exact for keys of up to 1,000 elements, estimated from
  1,000 of them for bigger ones, such as the value hash of a long thread, whose exact size would
  cost a walk of every field). Reads the thread's own indexes; scans nothing. A
  thread of any size is measured in calls of at most BUDGET checkpoints each (some 3 ms of server
  time for 500), the caller adding up their sums; namespaces go in sorted order, so that a
  cursor means the same from one call to the next.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  cursor namespace, or "" to start (the first call also counts the thread's own keys)
  ARGV[2]  cursor checkpoint id: the call goes on after it; "" from the namespace's start
  ARGV[3]  BUDGET: checkpoints measured per call at most

  Returns { checkpoints (first call only, else 0), keys, bytes, 1 if the thread has a
  conversation owner else 0, cursor namespace, cursor id } with cursor id false when the thread
  is measured whole.
]]
--- @include "keys"
local rcall = redis.call
local base = KEYS[1]
local cursor_ns, cursor_id, budget = ARGV[1], ARGV[2], tonumber(ARGV[3])
local first = cursor_ns == "" and cursor_id == ""
local checkpoints, keys, bytes = 0, 0, 0
local function measure(key)
  local size = rcall("MEMORY", "USAGE", key, "SAMPLES", "1000")
  if size then
    keys = keys + 1
    bytes = bytes + size
  end
end

local nss = rcall("SMEMBERS", nss_key(base))
table.sort(nss)
if first then
  measure(thread_key(base))
  measure(nss_key(base))
  for _, ns in ipairs(nss) do checkpoints = checkpoints + rcall("ZCARD", ckpts_key(base, ns)) end
end
local left = budget
for _, ns in ipairs(nss) do
  if ns >= cursor_ns then
    local from = "-"
    if ns == cursor_ns and cursor_id ~= "" then
      from = "(" .. cursor_id
    else
      -- A namespace's own keys, and the writes of ids without a checkpoint, once: at its start.
      for _, key in ipairs(ns_keys(base, ns)) do measure(key) end
      for _, id in ipairs(rcall("SMEMBERS", wids_key(base, ns))) do measure(writes_key(base, ns, id)) end
    end
    local ids = rcall("ZRANGEBYLEX", ckpts_key(base, ns), from, "+", "LIMIT", 0, left)
    for _, id in ipairs(ids) do
      measure(ckpt_key(base, ns, id))
      measure(writes_key(base, ns, id))
    end
    left = left - #ids
    if left <= 0 then
      return { checkpoints, keys, bytes, rcall("HEXISTS", thread_key(base), "owner"), ns, ids[#ids] }
    end
  end
end
return { checkpoints, keys, bytes, rcall("HEXISTS", thread_key(base), "owner"), "", false }
