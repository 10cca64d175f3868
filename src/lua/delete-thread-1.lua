#!lua flags=allow-oom
--[[
  deleteThread: removes every key of one thread, in every namespace, atomically. The thread's
  namespaces and checkpoint ids are read from its own indexes: nothing scans the keyspace, and a
  thread id full of pattern characters (`*`, `?`, `[`) can only ever reach its own keys.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  owner the caller acts for, or "" for no owner check

  Returns { number of keys removed, owner or false }, or NOT_OWNER (nothing removed).
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
local rcall = redis.call
local base = KEYS[1]
local removed = 0
if owner_mismatch(base, ARGV[1]) then return NOT_OWNER end
local owner = rcall("HGET", thread_key(base), "owner")

local function unlink_all(keys)
  for i = 1, #keys, 1000 do
    removed = removed + rcall("UNLINK", unpack(keys, i, math.min(i + 999, #keys)))
  end
end

for _, ns in ipairs(rcall("SMEMBERS", nss_key(base))) do
  local keys = { ckpts_key(base, ns), blobs_key(base, ns), items_key(base, ns), wids_key(base, ns), leaves_key(base, ns), names_key(base, ns) }
  for _, id in ipairs(rcall("ZRANGE", ckpts_key(base, ns), 0, -1)) do
    keys[#keys + 1] = ckpt_key(base, ns, id)
    keys[#keys + 1] = writes_key(base, ns, id)
  end
  for _, id in ipairs(rcall("SMEMBERS", wids_key(base, ns))) do
    keys[#keys + 1] = writes_key(base, ns, id)
  end
  unlink_all(keys)
end
unlink_all({ nss_key(base), thread_key(base) })
return { removed, owner }
