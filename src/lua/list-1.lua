--[[
  list: one page of a thread's checkpoints, newest first, with everything getTuple returns for
  each. Ids sort lexicographically in time order (uuid6), so the sorted sets (all scores 0) give
  the order; several namespaces are merged by (id, namespace), both descending.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  "1" to list the one namespace in ARGV[2], "*" to list every namespace of the thread
  ARGV[2]  checkpoint namespace (with "1")
  ARGV[3]  cursor id: only checkpoints before (id, namespace) = (ARGV[3], ARGV[4]); "" for none
  ARGV[4]  cursor namespace: with an equal id, only namespaces that sort before it
  ARGV[5]  a checkpoint id to list alone ("" for all)
  ARGV[6]  page size: the most tuples to return
  ARGV[7]  with refreshOnRead, the saver's default TTL in ms; "" not to touch expiry
  ARGV[8]  F, the number of metadata filters
  ARGV[9 .. 8+2F]  pairs: filter field name, canonical JSON the field must equal ("" = absent)

  Returns { 1 if the thread exists else 0, deadline in ms when a read pushed it (else 0), owner
  or false, tuple, tuple, ... } (tuples as in includes/read-tuple.lua).
]]
--- @include "keys"
--- @include "bytes-lt"
--- @include "ttl"
--- @include "read-tuple"
local rcall = redis.call
local base = KEYS[1]
local cursor_id, cursor_ns = ARGV[3], ARGV[4]
local only = ARGV[5]
local limit = tonumber(ARGV[6])
local filter_fields, filter_values = {}, {}
for i = 9, 8 + 2 * tonumber(ARGV[8]), 2 do
  filter_fields[#filter_fields + 1] = ARGV[i]
  filter_values[#filter_values + 1] = ARGV[i + 1]
end

local function matches(ns, id)
  if #filter_fields == 0 then return true end
  local got = rcall("HMGET", ckpt_key(base, ns, id), unpack(filter_fields))
  for i = 1, #filter_fields do
    local want = filter_values[i]
    if want == "" then
      if got[i] then return false end
    elseif got[i] ~= want then
      return false
    end
  end
  return true
end

local function below_cursor(ns, id)
  if cursor_id == "" then return true end
  return bytes_lt(id, cursor_id) or (id == cursor_id and bytes_lt(ns, cursor_ns))
end

-- Up to `limit` matching ids of one namespace, newest first, below the cursor.
local function page_of(ns)
  local key = ckpts_key(base, ns)
  if only ~= "" then
    if limit > 0 and below_cursor(ns, only) and rcall("ZSCORE", key, only) and matches(ns, only) then
      return { { only, ns } }
    end
    return {}
  end
  local max = "+"
  if cursor_id ~= "" then
    max = (bytes_lt(ns, cursor_ns) and "[" or "(") .. cursor_id
  end
  local found = {}
  local batch = math.max(limit, 16)
  while #found < limit do
    local ids = rcall("ZREVRANGEBYLEX", key, max, "-", "LIMIT", 0, batch)
    for _, id in ipairs(ids) do
      if matches(ns, id) then
        found[#found + 1] = { id, ns }
        if #found >= limit then break end
      end
    end
    if #ids < batch then break end
    max = "(" .. ids[#ids]
  end
  return found
end

local candidates
if ARGV[1] == "1" then
  candidates = page_of(ARGV[2])
else
  candidates = {}
  for _, ns in ipairs(rcall("SMEMBERS", nss_key(base))) do
    for _, c in ipairs(page_of(ns)) do candidates[#candidates + 1] = c end
  end
  table.sort(candidates, function(a, b)
    if a[1] ~= b[1] then return bytes_lt(b[1], a[1]) end
    return bytes_lt(b[2], a[2])
  end)
end

local thread = thread_key(base)
local exists = rcall("EXISTS", thread)
local pushed = 0
if exists == 1 and #candidates > 0 and ARGV[7] ~= "" then
  local state = ttl_state(base)
  local deadline = apply_ttl(base, ARGV[7], {}, "due", state)
  if deadline > 0 and string.format("%.0f", deadline) ~= state.expires then pushed = deadline end
end
local out = { exists, pushed, rcall("HGET", thread, "owner") }
for i = 1, math.min(limit, #candidates) do
  local tuple = read_tuple(base, candidates[i][2], candidates[i][1])
  if tuple then out[#out + 1] = tuple end
end
return out
