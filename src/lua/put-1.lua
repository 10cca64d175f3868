--[[
  put: stores one checkpoint atomically. The node, the channel values it introduces, its id in the
  namespace index, the namespace and the thread record are written together or not at all.

  KEYS[1]  thread base `P:{T}`; every key written is derived from it (one Cluster slot)

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id
  ARGV[3]  parent checkpoint id, or "" for a root
  ARGV[4]  checkpoint format version (`v`)
  ARGV[5]  packed record: the checkpoint without channel values, and its metadata
  ARGV[6]  JSON array of the blob fields this checkpoint reads, one per channel version
  ARGV[7]  now, in ms since the epoch
  ARGV[8]  owner the caller acts for, or "" for no owner check
  ARGV[9]  the checkpoint's timestamp (`ts`), kept readable for tree views
  ARGV[10] JSON object: the length of every list-valued channel (tree views count messages
           without deserialising them)
  ARGV[11] the saver's default TTL in ms, "0" for none (see includes/ttl.lua)
  ARGV[12] "1" in shallow mode: the namespace keeps only this checkpoint
  ARGV[13] "1" to write only if the parent is still the namespace's head (compare-and-set, for
           appends made outside a graph run), else ""
  ARGV[14] M, the number of metadata filter fields
  ARGV[15 .. 14+2M]         pairs: filter field name, canonical JSON of the value
  ARGV[15+2M]               B, the number of channel values written
  ARGV[16+2M .. 15+2M+2B]   pairs: blob field `<channel>:<version>`, packed value

  The new checkpoint becomes a branch tip (its parent no longer is one). It becomes the namespace's
  head when it continues the head (its parent is the head) or is newer than the head: so a graph
  continues the branch switchBranch chose, a run from an older checkpoint (time travel) becomes
  the active branch as LangGraph users expect, and a late or retried write of an older checkpoint
  never moves the head back.

  Returns { 1, owner or false, deadline in ms (0 = no expiry), 1 if the namespace is new else 0,
  1 if the deadline moved else 0 } (the owner lets the caller move the conversation up in its
  owner's listing; a new namespace, enter the thread in the thread index), NOT_OWNER, or CHANGED
  (with ARGV[13]: the head moved on; nothing written either way).
]]
--- @include "keys"
--- @include "bytes-lt"
--- @include "codes"
--- @include "ttl"
--- @include "prune"
local rcall = redis.call
local base = KEYS[1]
local ns, id, parent = ARGV[1], ARGV[2], ARGV[3]
local thread = thread_key(base)
-- Everything this script needs of the thread record, in one read.
local record = rcall("HMGET", thread, "owner", head_field(ns), "created", "ttl", "expires")
local owner, head = record[1], record[2]
if ARGV[8] ~= "" and owner ~= ARGV[8] then return NOT_OWNER end
if ARGV[13] == "1" and (head or "") ~= parent then return CHANGED end

local node = ckpt_key(base, ns, id)
-- A checkpoint put again under the same id replaces the old node whole (no stale filter fields).
rcall("DEL", node)
local fields = { "checkpoint", ARGV[5], "v", ARGV[4], "blobs", ARGV[6], "ts", ARGV[9], "lens", ARGV[10] }
if parent ~= "" then
  fields[#fields + 1] = "parent"
  fields[#fields + 1] = parent
end
local m = tonumber(ARGV[14])
local i = 15
for _ = 1, m do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  i = i + 2
end
for j = 1, #fields, 1000 do rcall("HSET", node, unpack(fields, j, math.min(j + 999, #fields))) end

local b = tonumber(ARGV[i])
i = i + 1
if b > 0 then
  local bkey = blobs_key(base, ns)
  for j = i, i + 2 * b - 1, 1000 do
    rcall("HSET", bkey, unpack(ARGV, j, math.min(j + 999, i + 2 * b - 1)))
  end
end

-- Only a new checkpoint is a new tip: a retried put of one that has children already must not
-- turn it back into a branch.
if rcall("ZADD", ckpts_key(base, ns), 0, id) == 1 then rcall("SADD", leaves_key(base, ns), id) end
if parent ~= "" then rcall("SREM", leaves_key(base, ns), parent) end
local new_ns = rcall("SADD", nss_key(base), ns)
local update = { "updated", ARGV[7] }
if not record[3] then
  update[#update + 1] = "created"
  update[#update + 1] = ARGV[7]
end
if not head or head == parent or bytes_lt(head, id) then
  update[#update + 1] = head_field(ns)
  update[#update + 1] = id
end
rcall("HSET", thread, unpack(update))
if ARGV[12] == "1" then prune_ns(base, ns, 1) end
local deadline = apply_ttl(base, ARGV[11], { node, blobs_key(base, ns), ckpts_key(base, ns), leaves_key(base, ns), nss_key(base), thread }, "due", { exists = true, own = record[4], expires = record[5] })
local moved = (deadline > 0 and string.format("%.0f", deadline) ~= record[5]) and 1 or 0
return { 1, owner, deadline, new_ns, moved }
