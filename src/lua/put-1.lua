--[[
  put: stores one checkpoint atomically. The node, the channel values it introduces, its id in the
  namespace index, the namespace and the thread record are written together or not at all.

  KEYS[1]  thread base `P:{T}`; every key written is derived from it (one Cluster slot)

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id
  ARGV[3]  parent checkpoint id, or "" for a root
  ARGV[4]  checkpoint format version (`v`)
  ARGV[5]  packed checkpoint, without channel values
  ARGV[6]  packed metadata
  ARGV[7]  JSON array of the blob fields this checkpoint reads, one per channel version
  ARGV[8]  now, in ms since the epoch
  ARGV[9]  owner the caller acts for, or "" for no owner check
  ARGV[10] the checkpoint's timestamp (`ts`), kept readable for tree views
  ARGV[11] JSON object: the length of every list-valued channel (tree views count messages
           without deserialising them)
  ARGV[12] the saver's default TTL in ms, "0" for none (see includes/ttl.lua)
  ARGV[13] "1" in shallow mode: the namespace keeps only this checkpoint
  ARGV[14] M, the number of metadata filter fields
  ARGV[15 .. 14+2M]         pairs: filter field name, canonical JSON of the value
  ARGV[15+2M]               B, the number of channel values written
  ARGV[16+2M .. 15+2M+2B]   pairs: blob field `<channel>:<version>`, packed value

  The new checkpoint becomes a branch tip (its parent no longer is one). It becomes the namespace's
  head when it continues the head (its parent is the head) or is newer than the head: so a graph
  continues the branch switchBranch chose, a run from an older checkpoint (time travel) becomes
  the active branch as LangGraph users expect, and a late or retried write of an older checkpoint
  never moves the head back.

  Returns { 1, owner or false, deadline in ms (0 = no expiry) } (the owner lets the caller move
  the conversation up in its owner's listing), or NOT_OWNER (nothing written).
]]
--- @include "keys"
--- @include "bytes-lt"
--- @include "codes"
--- @include "owner"
--- @include "ttl"
--- @include "prune"
local rcall = redis.call
local base = KEYS[1]
local ns, id, parent = ARGV[1], ARGV[2], ARGV[3]
if owner_mismatch(base, ARGV[9]) then return NOT_OWNER end

local node = ckpt_key(base, ns, id)
-- A checkpoint put again under the same id replaces the old node whole (no stale filter fields).
rcall("DEL", node)
local fields = { "checkpoint", ARGV[5], "metadata", ARGV[6], "v", ARGV[4], "blobs", ARGV[7], "ts", ARGV[10], "lens", ARGV[11] }
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
rcall("HSET", node, unpack(fields))

local b = tonumber(ARGV[i])
i = i + 1
if b > 0 then
  local bkey = blobs_key(base, ns)
  for j = i, i + 2 * b - 1, 1000 do
    rcall("HSET", bkey, unpack(ARGV, j, math.min(j + 999, i + 2 * b - 1)))
  end
end

rcall("ZADD", ckpts_key(base, ns), 0, id)
rcall("SADD", leaves_key(base, ns), id)
if parent ~= "" then rcall("SREM", leaves_key(base, ns), parent) end
rcall("SADD", nss_key(base), ns)
local thread = thread_key(base)
rcall("HSETNX", thread, "created", ARGV[8])
rcall("HSET", thread, "updated", ARGV[8])
local head = rcall("HGET", thread, head_field(ns))
if not head or head == parent or bytes_lt(head, id) then rcall("HSET", thread, head_field(ns), id) end
if ARGV[13] == "1" then prune_ns(base, ns, 1) end
local deadline = apply_ttl(base, ARGV[12], { node, blobs_key(base, ns), ckpts_key(base, ns), leaves_key(base, ns), nss_key(base), thread }, "due")
return { 1, rcall("HGET", thread, "owner"), deadline }
