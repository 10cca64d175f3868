#!lua
--[[
  put: stores one checkpoint atomically. The node, the channel values it introduces, its id in the
  namespace index, the namespace and the thread record are written together or not at all.

  KEYS[1]  thread base `P:{T}`; every key written is derived from it (one Cluster slot)

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id
  ARGV[3]  parent checkpoint id, or "" for a root
  ARGV[4]  checkpoint format version (`v`)
  ARGV[5]  packed record: the checkpoint without channel values, its metadata, and the channel
           values that have no version
  ARGV[6]  JSON array of the blob fields of the channel values this checkpoint has, one per
           channel that has both a value and a version (`<channel>:<version>`)
  ARGV[7]  JSON array: the fields of ARGV[6] whose values are not sent below (their version is
           not new); those an earlier put did not store are left out of the node, as the official
           savers leave out values whose version is not new
  ARGV[8]  now, in ms since the epoch
  ARGV[9]  owner the caller acts for, or "" for no owner check
  ARGV[10] the checkpoint's timestamp (`ts`), kept readable for tree views
  ARGV[11] JSON object: the length of every list-valued channel (tree views count messages
           without deserialising them)
  ARGV[12] the saver's default TTL in ms, "0" for none (see includes/ttl.lua)
  ARGV[13] "1" in shallow mode: the namespace keeps only this checkpoint (and what it needs)
  ARGV[14] "1" to write only if the parent is still the namespace's head (compare-and-set, for
           appends made outside a graph run), else ""
  ARGV[15] JSON array: channels LangGraph marks as DeltaChannels in this checkpoint (its metadata's
           `counters_since_delta_snapshot`, and channels whose value is a DeltaSnapshot)
  ARGV[16] JSON array: channels with a version but no value in this checkpoint
  ARGV[17] JSON array: channels with a value but no version (their values are in the record), or
           "" for none
  ARGV[18] M, the number of metadata filter fields
  ARGV[19 .. 18+2M]         pairs: filter field name, canonical JSON of the value
  ARGV[19+2M]               B, the number of channel values written
  ARGV[20+2M .. 19+2M+2B]   pairs: blob field `<channel>:<version>`, then the packed value, or a
                            list spec (its first byte is 1) for a list stored element by element
                            (includes/lists.lua plan_list)

  DeltaChannels (LangGraph 1.4) are absent from most checkpoints and rebuilt from ancestors
  (includes/delta-walk.lua). A channel is one here if LangGraph says so (ARGV[15]) or if it is one
  in the parent (updateState checkpoints carry no counters); the node keeps that set (`dch`) for
  its children, and `delta`: the DeltaChannels it has a version of but does not store, which
  readers rebuild. The thread record's `delta:<ns>` says whether the namespace ever had one, so
  that threads without DeltaChannels never pay for this.

  The new checkpoint becomes a branch tip (its parent no longer is one). It becomes the namespace's
  head when it continues the head (its parent is the head) or is newer than the head: so a graph
  continues the branch switchBranch chose, a run from an older checkpoint (time travel) becomes
  the active branch as LangGraph users expect, and a late or retried write of an older checkpoint
  never moves the head back.

  Returns { 1, owner or false, deadline in ms (0 = no expiry), 1 if the namespace is new else 0,
  1 if the deadline moved else 0, { blob field, list node id, ... } of the lists written, 1 if
  a shallow put left checkpoints to prune else 0, 1 when a move to a new deadline is left to step
  through (includes/ttl.lua) else 0, the thread's new status sequence number when this put made an
  interrupted or failed thread idle again, else 0, the token of a run asked to stop at its next
  checkpoint (run-lease-1.lua "interrupt"), else "" } (the owner lets the caller move the
  conversation up in its owner's listing; a new namespace, enter the thread in the thread index;
  the node ids, name the start of the next version of each list; prune work left, finish it),
  NOT_OWNER, CHANGED (with ARGV[14]: the head moved on) or RESEND (a list spec named a start that
  is not stored: send the lists whole). Nothing is written unless the reply is { 1, ... }.
]]
--- @include "keys"
--- @include "pick-blob"
--- @include "bytes-lt"
--- @include "codes"
--- @include "ttl"
--- @include "prune"
--- @include "epoch"
--- @include "lists"
--- @include "thread-status"
local rcall = redis.call
local base = KEYS[1]
local ns, id, parent = ARGV[1], ARGV[2], ARGV[3]
local thread = thread_key(base)
-- Everything this script needs of the thread record, in one read.
local record = rcall("HMGET", thread, "owner", head_field(ns), "created", "ttl", "expires", "delta:" .. ns, "mv", "st", "sit", "sc", "stop")
local owner, head = record[1], record[2]
if ARGV[9] ~= "" and owner ~= ARGV[9] then return NOT_OWNER end
if ARGV[14] == "1" and (head or "") ~= parent then return CHANGED end

local m = tonumber(ARGV[18])
local b = tonumber(ARGV[19 + 2 * m])
local first_blob = 20 + 2 * m
local bkey = blobs_key(base, ns)

-- The node lists exactly the values it holds: the ones sent now, and those of versions an earlier
-- put stored. A listed value that is gone later is data loss, and reads say so
-- (includes/read-tuple.lua).
local held_json = ARGV[6]
if ARGV[7] ~= "[]" then
  local absent = {}
  for _, field in ipairs(cjson.decode(ARGV[7])) do
    if rcall("HEXISTS", bkey, field) == 0 then absent[field] = true end
  end
  if next(absent) ~= nil then
    local held = {}
    for _, field in ipairs(cjson.decode(ARGV[6])) do
      if not absent[field] then held[#held + 1] = field end
    end
    held_json = #held > 0 and cjson.encode(held) or "[]"
  end
end

-- DeltaChannels: LangGraph's marks plus the parent's (only in a namespace that has had some).
local dch, names, rebuilt = {}, {}, {}
if ARGV[15] ~= "[]" then for _, name in ipairs(cjson.decode(ARGV[15])) do dch[name] = true end end
if record[6] and parent ~= "" then
  local inherited = rcall("HGET", ckpt_key(base, ns, parent), "dch")
  if inherited then for _, name in ipairs(cjson.decode(inherited)) do dch[name] = true end end
end
if next(dch) ~= nil then
  for name in pairs(dch) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(cjson.decode(ARGV[16])) do
    if dch[name] then rebuilt[#rebuilt + 1] = name end
  end
end

-- Lists stored element by element: planned (reads only) before anything is written, so that a
-- start that is gone or a hash collision leaves no trace.
local ikey = items_key(base, ns)
local lists = {}
local parent_blobs = false
for j = first_blob, first_blob + 2 * b - 1, 2 do
  local spec = ARGV[j + 1]
  if string.byte(spec, 1) == LIST_MARK then
    local field = ARGV[j]
    local plan = plan_list(ikey, spec, function()
      if parent_blobs == false then
        parent_blobs = parent ~= "" and rcall("HGET", ckpt_key(base, ns, parent), "blobs") or nil
      end
      local from = pick_blob(parent_blobs, string.match(field, "^[^:]*:"))
      return from and rcall("HGET", bkey, from)
    end)
    if not plan then return RESEND end
    lists[#lists + 1] = { field, plan }
  end
end

local node = ckpt_key(base, ns, id)
-- A checkpoint put again under the same id replaces the old node whole (no stale filter fields);
-- histories read through it may change, so caches of them are told (includes/delta-walk.lua).
if rcall("DEL", node) == 1 then rcall("HINCRBY", thread, "wgen", 1) end
-- `fmt` 2: the node lists only the values it holds (earlier nodes listed every channel version).
local fields = { "checkpoint", ARGV[5], "v", ARGV[4], "blobs", held_json, "ts", ARGV[10], "lens", ARGV[11], "fmt", "2" }
if parent ~= "" then
  fields[#fields + 1] = "parent"
  fields[#fields + 1] = parent
end
if ARGV[17] ~= "" then
  fields[#fields + 1] = "uv"
  fields[#fields + 1] = ARGV[17]
end
if #names > 0 then
  fields[#fields + 1] = "dch"
  fields[#fields + 1] = cjson.encode(names)
end
if #rebuilt > 0 then
  fields[#fields + 1] = "delta"
  fields[#fields + 1] = cjson.encode(rebuilt)
end
for j = 19, 18 + 2 * m do fields[#fields + 1] = ARGV[j] end
for j = 1, #fields, 1000 do rcall("HSET", node, unpack(fields, j, math.min(j + 999, #fields))) end

if #lists == 0 then
  for j = first_blob, first_blob + 2 * b - 1, 1000 do
    rcall("HSET", bkey, unpack(ARGV, j, math.min(j + 999, first_blob + 2 * b - 1)))
  end
else
  for j = first_blob, first_blob + 2 * b - 1, 2 do
    if string.byte(ARGV[j + 1], 1) ~= LIST_MARK then rcall("HSET", bkey, ARGV[j], ARGV[j + 1]) end
  end
end
local nodes = {}
for _, list in ipairs(lists) do
  apply_list(ikey, bkey, list[1], list[2])
  nodes[#nodes + 1] = list[1]
  nodes[#nodes + 1] = list[2].id
end

-- Only a new checkpoint is a new tip: a retried put of one that has children already must not
-- turn it back into a branch.
if rcall("ZADD", ckpts_key(base, ns), 0, id) == 1 then rcall("SADD", leaves_key(base, ns), id) end
if parent ~= "" then rcall("SREM", leaves_key(base, ns), parent) end
-- A namespace with a head is in the namespace set already (both are written here, and by
-- forkPlant, together; only deleteThread removes the set, with the record).
local new_ns = head and 0 or rcall("SADD", nss_key(base), ns)
local update = { "updated", ARGV[8] }
if not record[3] then
  update[#update + 1] = "created"
  update[#update + 1] = ARGV[8]
  update[#update + 1] = "epoch"
  update[#update + 1] = new_epoch()
end
if #names > 0 and not record[6] then
  update[#update + 1] = "delta:" .. ns
  update[#update + 1] = "1"
end
local status_seq = 0
if not head or head == parent or bytes_lt(head, id) then
  update[#update + 1] = head_field(ns)
  update[#update + 1] = id
  -- The root namespace's head moved on from a checkpoint whose task failed or was interrupted:
  -- the thread is idle again (includes/thread-status.lua). A status noted for this checkpoint or
  -- a newer one stays: LangGraph sends a step's writes without waiting for the puts before them.
  if ns == "" and record[8] and bytes_lt(record[10] or "", id) then status_seq = clear_thread_status(thread, record[9]) end
end
rcall("HSET", thread, unpack(update))
-- What a shallow put removes at most; a namespace that held more (a long thread a shallow saver
-- meets) is pruned to the end by the saver in further calls (prune-1.lua), so that no put holds
-- Redis long.
local SHALLOW_PRUNE_BUDGET = 250
local prune_left = false
if ARGV[13] == "1" then
  -- Shallow: keep this checkpoint and what it rebuilds DeltaChannels from (prune_ns walks that
  -- chain). When the namespace holds exactly what the last shallow put kept (`lean:<ns>` is its
  -- count and checkpoint) plus this child of it, and this checkpoint rebuilds every channel its
  -- parent rebuilt and so needs all of that, nothing can go: the walk is skipped. It runs when a
  -- snapshot lands, and then ends at the snapshot.
  local total = rcall("ZCARD", ckpts_key(base, ns))
  local lean = rcall("HGET", thread, "lean:" .. ns)
  local count, last = string.match(lean or "", "^(%d+):(.*)$")
  local keeps_all = #rebuilt > 0 and last == parent and tonumber(count) + 1 == total
  if keeps_all then
    local needs = {}
    for _, name in ipairs(rebuilt) do needs[name] = true end
    local from_parent = rcall("HGET", ckpt_key(base, ns, parent), "delta")
    for _, name in ipairs(from_parent and cjson.decode(from_parent) or {}) do
      if not needs[name] then keeps_all = false end
    end
  end
  if not keeps_all then
    local gone, _, left = prune_ns(base, ns, 1, SHALLOW_PRUNE_BUDGET)
    total = total - gone
    prune_left = left
  end
  -- Only the newest checkpoint can be what a later put builds on (prune keeps the newest; a late
  -- put of an older checkpoint may have been pruned right away).
  if not prune_left and rcall("ZREVRANGE", ckpts_key(base, ns), 0, 0)[1] == id then
    rcall("HSET", thread, "lean:" .. ns, total .. ":" .. id)
  else
    rcall("HDEL", thread, "lean:" .. ns)
  end
end
-- The keys this script may have created, to date when the thread expires (spelt only then).
local created = (ARGV[12] ~= "0" or record[4] or record[5] or record[7]) and { node, bkey, ikey, ckpts_key(base, ns), leaves_key(base, ns), nss_key(base), thread } or {}
local deadline, ttl_moving = apply_ttl(base, ARGV[12], created, "due", { exists = true, own = record[4], expires = record[5], mv = record[7] })
local moved = (deadline > 0 and string.format("%.0f", deadline) ~= record[5]) and 1 or 0
return { 1, owner, deadline, new_ns, moved, nodes, prune_left and 1 or 0, ttl_moving and 1 or 0, status_seq, record[11] or "" }
