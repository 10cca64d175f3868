--- @include "blobs"
-- Removes all but the newest `keep` checkpoints of a namespace (by id, that is by time), with
-- their pending writes, and the channel values that only they read. Returns how many went.
-- Names of removed checkpoints go with them; a head that is removed falls back to the latest.
--
-- A kept checkpoint that rebuilds DeltaChannels from its ancestors (its `delta` field; see
-- includes/delta-walk.lua) keeps those ancestors too, up to the nearest one that stores each
-- channel (its seed): removing them would lose the channel's value. The walk is shared by all
-- kept checkpoints, so it costs one read per ancestor kept this way.
local function prune_ns(base, ns, keep)
  local rcall = redis.call
  local key = ckpts_key(base, ns)
  local total = rcall("ZCARD", key)
  if total <= keep then return 0 end
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

  local doomed, needed = {}, {}
  for _, id in ipairs(rcall("ZRANGE", key, 0, total - keep - 1)) do
    if not needed_ids[id] then doomed[#doomed + 1] = id end
  end
  if #doomed == 0 then return 0 end
  for id in pairs(needed_ids) do
    local blobs = rcall("HGET", ckpt_key(base, ns, id), "blobs")
    if blobs then for _, f in ipairs(cjson.decode(blobs)) do needed[f] = true end end
  end
  local fields, seen, keys = {}, {}, {}
  for _, id in ipairs(doomed) do
    local blobs = rcall("HGET", ckpt_key(base, ns, id), "blobs")
    if blobs then
      for _, f in ipairs(cjson.decode(blobs)) do
        if not needed[f] and not seen[f] then
          seen[f] = true
          fields[#fields + 1] = f
        end
      end
    end
    keys[#keys + 1] = ckpt_key(base, ns, id)
    keys[#keys + 1] = writes_key(base, ns, id)
  end
  drop_blobs(base, ns, fields)
  for i = 1, #keys, 1000 do rcall("UNLINK", unpack(keys, i, math.min(i + 999, #keys))) end
  for i = 1, #doomed, 1000 do
    local chunk = { unpack(doomed, i, math.min(i + 999, #doomed)) }
    rcall("ZREM", key, unpack(chunk))
    rcall("SREM", leaves_key(base, ns), unpack(chunk))
    rcall("HDEL", names_key(base, ns), unpack(chunk))
  end
  -- Caches of DeltaChannel histories start over (see includes/delta-walk.lua).
  rcall("HINCRBY", thread_key(base), "wgen", 1)
  return #doomed
end
