--- @include "blobs"
-- The second half of a prune step (see prune_ns): drops the channel values `fresh` (of the
-- checkpoints this step removed, when it removed the last it could) and up to `budget` parked
-- ones, those of them that no listed checkpoint reads. Returns `removed` as given, the budget
-- left, and whether parked values are left.
local function sweep_dropped(base, ns, removed, budget, fresh)
  local rcall = redis.call
  local dkey = dropped_key(base, ns)
  local candidates = fresh or {}
  local more = false
  if budget > 0 and rcall("EXISTS", dkey) == 1 then
    local parked = rcall("SPOP", dkey, budget)
    for _, f in ipairs(parked) do candidates[#candidates + 1] = f end
    budget = budget - #parked
    more = rcall("EXISTS", dkey) == 1
  elseif budget <= 0 then
    more = rcall("EXISTS", dkey) == 1
  end
  if #candidates == 0 then return removed, budget, more end
  -- What every listed checkpoint reads: after the removals, a namespace holds its kept
  -- checkpoints and their DeltaChannel ancestors (and what was put since).
  local live = {}
  for _, id in ipairs(rcall("ZRANGE", ckpts_key(base, ns), 0, -1)) do
    local blobs = rcall("HGET", ckpt_key(base, ns, id), "blobs")
    if blobs and blobs ~= "[]" then for _, f in ipairs(cjson.decode(blobs)) do live[f] = true end end
  end
  local fields, seen = {}, {}
  for _, f in ipairs(candidates) do
    if not live[f] and not seen[f] then
      seen[f] = true
      fields[#fields + 1] = f
    end
  end
  drop_blobs(base, ns, fields)
  return removed, budget, more
end

-- Removes all but the newest `keep` checkpoints of a namespace (by id, that is by time), with
-- their pending writes, and the channel values that only they read, in steps of bounded work: a
-- call removes at most `budget` checkpoints or channel values, and the caller calls again while
-- there is work left, so that a thread of any size never holds Redis long. Every step leaves the
-- namespace whole: what is still listed reads as before.
--
-- A kept checkpoint that rebuilds DeltaChannels from its ancestors (its `delta` field; see
-- includes/delta-walk.lua) keeps those ancestors too, up to the nearest one that stores each
-- channel (its seed): removing them would lose the channel's value. The walk is shared by all
-- kept checkpoints, so it costs one read per ancestor kept this way.
--
-- Checkpoints go newest first (from just below the kept ones), so that one a later step removes
-- keeps every ancestor it rebuilds from. Their channel values cannot go with them: a checkpoint a
-- later step removes, or one still listed, may read the same value. A step parks them in the
-- namespace's `dropped` set; once no checkpoint is left to remove, steps drop the parked values
-- that no listed checkpoint reads. Names of removed checkpoints go with them; a head that is
-- removed falls back to the latest.
--
-- Returns how many checkpoints went, how much of the budget is left, and whether work is left.
local function prune_ns(base, ns, keep, budget)
  local rcall = redis.call
  local key = ckpts_key(base, ns)
  local total = rcall("ZCARD", key)
  local dkey = dropped_key(base, ns)
  if total <= keep then return sweep_dropped(base, ns, 0, budget) end
  local kept = {}
  local needed_ids, queue = {}, {}
  for _, id in ipairs(rcall("ZRANGE", key, total - keep, -1)) do
    needed_ids[id] = true
    kept[#kept + 1] = id
  end
  for _, id in ipairs(kept) do
    local node = rcall("HMGET", ckpt_key(base, ns, id), "parent", "delta")
    if node[1] and node[2] then queue[#queue + 1] = { node[1], cjson.decode(node[2]) } end
  end
  -- Up the parent links: a channel's walk ends at the first ancestor that stores it.
  local walked = {}
  local at = 1
  while at <= #queue do
    local id, channels = queue[at][1], queue[at][2]
    at = at + 1
    walked[id] = walked[id] or {}
    local todo = {}
    for _, name in ipairs(channels) do
      if not walked[id][name] then
        walked[id][name] = true
        todo[#todo + 1] = name
      end
    end
    local node = #todo > 0 and rcall("HMGET", ckpt_key(base, ns, id), "parent", "blobs", "uv")
    -- An ancestor that is already gone (evicted) ends its walk: there is nothing left to keep, and
    -- reads through it report the loss (prune also runs inside put, after its writes: no error).
    -- Every stored checkpoint has a `blobs` field.
    if node and node[2] then
      needed_ids[id] = true
      local onward = {}
      for _, name in ipairs(todo) do
        -- As in delta-walk.lua: a plain search rules out a channel the list cannot name.
        local prefix = escape_part(name) .. ":"
        local stored = false
        if node[2] ~= "[]" and (string.find(prefix, '[%c"\\/]') or string.find(node[2], prefix, 1, true)) then
          for _, f in ipairs(cjson.decode(node[2])) do
            if string.sub(f, 1, #prefix) == prefix then stored = true end
          end
        end
        if not stored and node[3] then
          for _, u in ipairs(cjson.decode(node[3])) do if u == name then stored = true end end
        end
        if not stored then onward[#onward + 1] = name end
      end
      if #onward > 0 and node[1] then queue[#queue + 1] = { node[1], onward } end
    end
  end

  -- The newest checkpoints that may go, from just below the kept ones down: a checkpoint's
  -- ancestors are older than it, so one that a later step removes still has every ancestor it
  -- rebuilds DeltaChannels from. Needed ones are skipped, so look at that many more.
  local needed_below = -keep
  for _ in pairs(needed_ids) do needed_below = needed_below + 1 end
  local doomable = total - keep - needed_below
  local doomed = {}
  local below = rcall("ZRANGE", key, math.max(0, total - keep - budget - needed_below), total - keep - 1)
  for i = #below, 1, -1 do
    local id = below[i]
    if not needed_ids[id] and #doomed < budget then doomed[#doomed + 1] = id end
  end
  if #doomed == 0 then return sweep_dropped(base, ns, 0, budget) end
  local fields, keys = {}, {}
  for _, id in ipairs(doomed) do
    local blobs = rcall("HGET", ckpt_key(base, ns, id), "blobs")
    if blobs and blobs ~= "[]" then for _, f in ipairs(cjson.decode(blobs)) do fields[#fields + 1] = f end end
    keys[#keys + 1] = ckpt_key(base, ns, id)
    keys[#keys + 1] = writes_key(base, ns, id)
  end
  -- A step that leaves checkpoints to remove parks their values: a later step's checkpoints may
  -- read them. One that removed the last drops them now, without parking.
  local last = #doomed >= doomable
  if not last then
    for i = 1, #fields, 1000 do rcall("SADD", dkey, unpack(fields, i, math.min(i + 999, #fields))) end
    if #fields > 0 then
      -- Parked values live and die with the thread (includes/ttl.lua).
      local expires = rcall("HGET", thread_key(base), "expires")
      if expires then rcall("PEXPIREAT", dkey, expires) end
    end
  end
  for i = 1, #keys, 1000 do rcall("UNLINK", unpack(keys, i, math.min(i + 999, #keys))) end
  for i = 1, #doomed, 1000 do
    local chunk = { unpack(doomed, i, math.min(i + 999, #doomed)) }
    rcall("ZREM", key, unpack(chunk))
    rcall("SREM", leaves_key(base, ns), unpack(chunk))
    rcall("HDEL", names_key(base, ns), unpack(chunk))
  end
  -- Caches of DeltaChannel histories start over (see includes/delta-walk.lua).
  rcall("HINCRBY", thread_key(base), "wgen", 1)
  if not last then return #doomed, 0, true end
  return sweep_dropped(base, ns, #doomed, budget - #doomed, fields)
end
