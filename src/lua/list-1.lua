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
  ARGV[8]  with a filter, how many checkpoints one call examines at most (shared by the
           namespaces): a filter that matches little would otherwise walk the whole thread in one
           call and hold Redis for as long
  ARGV[9]  F, the number of metadata filters
  ARGV[10 .. 9+2F]  pairs: filter field name, canonical JSON the field must equal ("" = absent)
  ARGV[10+2F]  how many bytes of tuples one call returns at most (past the first tuple): a page of
           long conversations would otherwise copy megabytes through Lua in one call (about 5 µs
           a KB: a page of 100 checkpoints of 240 messages took 30 ms)

  Returns { 1 if the thread exists else 0, deadline in ms when a read pushed it (else 0), owner
  or false, 1 when a move to a new deadline is left to step through (see includes/ttl.lua) else
  0, resume id, resume namespace, tuple, tuple, ... } (tuples as in
  includes/read-tuple.lua; a list item already in the reply is sent as its index, see
  includes/lists.lua list_value). A resume id (else "") says that the call stopped before the page
  was full (its filter budget, its bytes, or the list items its tuples name): every checkpoint
  before (resume id, resume namespace) is still to be examined, by a call with that cursor.
]]
--- @include "keys"
--- @include "bytes-lt"
--- @include "ttl"
--- @include "missing"
--- @include "read-tuple"
local rcall = redis.call
local base = KEYS[1]
local cursor_id, cursor_ns = ARGV[3], ARGV[4]
local only = ARGV[5]
local limit = tonumber(ARGV[6])
local filter_fields, filter_values = {}, {}
for i = 10, 9 + 2 * tonumber(ARGV[9]), 2 do
  filter_fields[#filter_fields + 1] = ARGV[i]
  filter_values[#filter_values + 1] = ARGV[i + 1]
end
local max_bytes = tonumber(ARGV[10 + 2 * tonumber(ARGV[9])])
-- List items (segments and elements) the tuples of one call may name, sent or not: about 4 ms.
local LIST_MAX_WALKED = 1500

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

-- Whether (id, ns) sorts before (other_id, other_ns), in listing order reversed.
local function before(id, ns, other_id, other_ns)
  return bytes_lt(id, other_id) or (id == other_id and bytes_lt(ns, other_ns))
end

-- With a filter, what each namespace may examine in this call (at least one, so every call
-- moves on), and the highest point where one of them stopped for that: below it, this call has
-- not looked at every namespace, so nothing below it may be returned yet.
local budget = #filter_fields > 0 and tonumber(ARGV[8]) or math.huge
local stop_id, stop_ns = nil, nil

-- Up to `limit` matching ids of one namespace, newest first, below the cursor.
local function page_of(ns, allowance)
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
  local examined = 0
  while #found < limit do
    local batch = math.min(math.max(limit, 16), allowance - examined)
    local ids = rcall("ZREVRANGEBYLEX", key, max, "-", "LIMIT", 0, batch)
    for _, id in ipairs(ids) do
      examined = examined + 1
      if matches(ns, id) then
        found[#found + 1] = { id, ns }
        if #found >= limit then return found end
      end
    end
    if #ids < batch then break end
    max = "(" .. ids[#ids]
    if examined >= allowance then
      local id = ids[#ids]
      if not stop_id or before(stop_id, stop_ns, id, ns) then stop_id, stop_ns = id, ns end
      break
    end
  end
  return found
end

local candidates
if ARGV[1] == "1" then
  candidates = page_of(ARGV[2], budget)
else
  candidates = {}
  local nss = rcall("SMEMBERS", nss_key(base))
  local allowance = math.max(1, math.floor(budget / math.max(1, #nss)))
  for _, ns in ipairs(nss) do
    for _, c in ipairs(page_of(ns, allowance)) do candidates[#candidates + 1] = c end
  end
  table.sort(candidates, function(a, b)
    if a[1] ~= b[1] then return bytes_lt(b[1], a[1]) end
    return bytes_lt(b[2], a[2])
  end)
end
-- Keep what is at or above the highest stop; a full page of those needs no resume point.
if stop_id then
  local kept = {}
  for _, c in ipairs(candidates) do
    if not before(c[1], c[2], stop_id, stop_ns) then kept[#kept + 1] = c end
  end
  candidates = kept
  if #candidates >= limit then stop_id = nil end
end

local thread = thread_key(base)
local exists = rcall("EXISTS", thread)
local pushed, moving = 0, false
if exists == 1 and #candidates > 0 and ARGV[7] ~= "" then
  local state = ttl_state(base)
  local deadline
  deadline, moving = apply_ttl(base, ARGV[7], {}, "due", state)
  if deadline > 0 and string.format("%.0f", deadline) ~= state.expires then pushed = deadline end
end
local out = { exists, pushed, rcall("HGET", thread, "owner"), moving and 1 or 0, stop_id or "", stop_ns or "" }
-- The reply's context: its bytes so far, and the list items it carries (includes/lists.lua list_value).
local acc = { bytes = 0, n = 0, sent = {}, nodes = {}, walked = 0 }
for i = 1, math.min(limit, #candidates) do
  -- Past the byte budget, or past LIST_MAX_WALKED list items named (a page of 100 checkpoints of a
  -- 300-message conversation names some 3,000 and took 6 to 9 ms even with each item sent once),
  -- the page stops at the last tuple returned: the next call goes on below it (the candidates not
  -- returned are examined again there).
  if i > 1 and (acc.bytes >= max_bytes or acc.walked >= LIST_MAX_WALKED) then
    out[5], out[6] = candidates[i - 1][1], candidates[i - 1][2]
    break
  end
  local tuple = read_tuple(base, candidates[i][2], candidates[i][1], nil, acc)
  -- Every candidate is listed (or, with ARGV[5], was just found listed): a node that is gone is lost data.
  if not tuple then lost_checkpoint(candidates[i][2], candidates[i][1]) end
  out[#out + 1] = tuple
end
return out
