--- @include "hmget-pairs"
-- Reads one checkpoint with everything getTuple and list return for it, or false when the
-- checkpoint does not exist. Reply: { id, ns, record (checkpoint and metadata), parent|false,
-- { blobField, blobValue, ... }, { writeField, writeValue, ... }, parentWrites|false }.
-- Parent writes are read only for checkpoints older than format 4, whose pending sends live in
-- the parent's writes.
local function read_tuple(base, ns, id)
  local node = redis.call("HMGET", ckpt_key(base, ns, id), "checkpoint", "parent", "v", "blobs")
  if not node[1] then return false end
  local blobs = {}
  if node[4] and node[4] ~= "[]" then blobs = hmget_pairs(blobs_key(base, ns), cjson.decode(node[4])) end
  local writes = redis.call("HGETALL", writes_key(base, ns, id))
  local parent_writes = false
  if node[2] and (tonumber(node[3]) or 0) < 4 then
    parent_writes = redis.call("HGETALL", writes_key(base, ns, node[2]))
  end
  return { id, ns, node[1], node[2], blobs, writes, parent_writes }
end
