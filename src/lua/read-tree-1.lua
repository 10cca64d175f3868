--[[
  readTree: every checkpoint of a namespace as tree nodes, with the distinct values of the
  messages channel they read, for building the conversation's message tree.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  owner the caller acts for, or "" for no owner check
  ARGV[3]  blob field prefix of the messages channel (`<escaped channel>:`)

  Returns { head or false, { checkpointId, name, ... }, { id, parent or false, ts, messages blob
  field or false, ... }, { blob field, value, ... } }, or NOT_OWNER.
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "head"
--- @include "pick-blob"
local rcall = redis.call
local base, ns, prefix = KEYS[1], ARGV[1], ARGV[3]
if owner_mismatch(base, ARGV[2]) then return NOT_OWNER end

local nodes, fields, seen = {}, {}, {}
for _, id in ipairs(rcall("ZRANGE", ckpts_key(base, ns), 0, -1)) do
  local node = rcall("HMGET", ckpt_key(base, ns, id), "parent", "ts", "blobs")
  local field = pick_blob(node[3], prefix)
  nodes[#nodes + 1] = id
  nodes[#nodes + 1] = node[1]
  nodes[#nodes + 1] = node[2] or ""
  nodes[#nodes + 1] = field
  if field and not seen[field] then
    seen[field] = true
    fields[#fields + 1] = field
  end
end

local blobs = {}
local bkey = blobs_key(base, ns)
for i = 1, #fields, 1000 do
  local chunk = { unpack(fields, i, math.min(i + 999, #fields)) }
  local values = rcall("HMGET", bkey, unpack(chunk))
  for j = 1, #chunk do
    if values[j] then
      blobs[#blobs + 1] = chunk[j]
      blobs[#blobs + 1] = values[j]
    end
  end
end
return { head_of(base, ns), rcall("HGETALL", names_key(base, ns)), nodes, blobs }
