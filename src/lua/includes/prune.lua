-- Removes all but the newest `keep` checkpoints of a namespace (by id, that is by time), with
-- their pending writes, and the channel values that only they read. Returns how many went.
-- Names of removed checkpoints go with them; a head that is removed falls back to the latest.
local function prune_ns(base, ns, keep)
  local rcall = redis.call
  local key = ckpts_key(base, ns)
  local total = rcall("ZCARD", key)
  if total <= keep then return 0 end
  local doomed = rcall("ZRANGE", key, 0, total - keep - 1)
  local needed = {}
  for _, id in ipairs(rcall("ZRANGE", key, total - keep, -1)) do
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
  for i = 1, #fields, 1000 do rcall("HDEL", blobs_key(base, ns), unpack(fields, i, math.min(i + 999, #fields))) end
  for i = 1, #keys, 1000 do rcall("UNLINK", unpack(keys, i, math.min(i + 999, #keys))) end
  for i = 1, #doomed, 1000 do
    local chunk = { unpack(doomed, i, math.min(i + 999, #doomed)) }
    rcall("ZREM", key, unpack(chunk))
    rcall("SREM", leaves_key(base, ns), unpack(chunk))
    rcall("HDEL", names_key(base, ns), unpack(chunk))
  end
  return #doomed
end
