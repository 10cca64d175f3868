--- @include "blobs"
--- @include "missing"
--- @include "head"
-- Reads one checkpoint with everything getTuple and list return for it, or false when the
-- checkpoint does not exist. Reply: { id, ns, record (checkpoint, metadata and the values that
-- have no version), parent|false, { blobField, blobValue, ... }, { writeField, writeValue, ... },
-- parentWrites|false }. A channel value the checkpoint names but Redis no longer has is an error
-- (in checkpoints written before storage format 2, which named every channel version, stored or
-- not, it is left out as it was then).
-- Parent writes are read only for checkpoints older than format 4, whose pending sends live in
-- the parent's writes. With `acc`, adds the bytes the tuple holds to acc.bytes (list reads stop a
-- page by them).
local function read_tuple(base, ns, id, known, acc)
  local node = redis.call("HMGET", ckpt_key(base, ns, id), "checkpoint", "parent", "v", "blobs", "fmt")
  if not node[1] then return false end
  local blobs = {}
  if node[4] and node[4] ~= "[]" then
    local fields = cjson.decode(node[4])
    blobs = read_blobs(base, ns, fields, "checkpoint " .. id .. " channel value", known, acc)
    if #blobs ~= 2 * #fields and node[5] then
      local found = {}
      for i = 1, #blobs, 2 do found[blobs[i]] = true end
      for _, f in ipairs(fields) do
        if not found[f] then missing("checkpoint " .. id .. " names channel value " .. f .. ", which is not stored") end
      end
    end
  end
  local writes = redis.call("HGETALL", writes_key(base, ns, id))
  local parent_writes = false
  if node[2] and (tonumber(node[3]) or 0) < 4 then
    parent_writes = redis.call("HGETALL", writes_key(base, ns, node[2]))
  end
  if acc then
    acc.bytes = acc.bytes + #node[1]
    for _, v in ipairs(writes) do acc.bytes = acc.bytes + #v end
    for _, v in ipairs(parent_writes or {}) do acc.bytes = acc.bytes + #v end
  end
  return { id, ns, node[1], node[2], blobs, writes, parent_writes }
end

-- The tuple of checkpoint `id`, or with id "" the one a read without checkpoint id returns: the
-- recorded head, unless it is gone (pruned), then the latest checkpoint (includes/head.lua does the
-- same with an EXISTS first; reading the tuple is the existence check here). False when there is
-- none. `known`: list nodes whose elements the caller holds (blob_value), or nil.
local function read_tuple_at(base, ns, id, known)
  if id ~= "" then
    -- A checkpoint of a thread that deleteThread is still removing (its record is gone first,
    -- see delete-thread-1.lua) is absent, not a checkpoint whose values are missing.
    if redis.call("EXISTS", thread_key(base)) == 0 then return false end
    local tuple = read_tuple(base, ns, id, known)
    if not tuple then must_be_unlisted(base, ns, id) end
    return tuple
  end
  local head = redis.call("HGET", thread_key(base), head_field(ns))
  local tuple = head and read_tuple(base, ns, head, known)
  -- A recorded head that is gone was pruned, unless the namespace still lists it.
  if head and not tuple then must_be_unlisted(base, ns, head) end
  if not tuple then
    local latest = redis.call("ZREVRANGE", ckpts_key(base, ns), 0, 0)[1]
    tuple = latest and read_tuple(base, ns, latest, known)
    if latest and not tuple then must_be_unlisted(base, ns, latest) end
  end
  return tuple
end
