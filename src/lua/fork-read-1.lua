--[[
  forkRead: the source half of a shallow fork: one checkpoint's stored fields (without its
  parent), the channel values it reads and its pending writes, as stored bytes. Its cost depends
  on the checkpoint's channels and writes, never on the length of the thread's history.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id, or "" for the head
  ARGV[3]  owner the caller acts for, or "" for no owner check

  Returns { id, { field, value, ... } node, { blob field, value, ... }, { write field, value,
  ... } }, false when there is no such checkpoint, or NOT_OWNER.
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "head"
--- @include "hmget-pairs"
local rcall = redis.call
local base, ns, id = KEYS[1], ARGV[1], ARGV[2]
if owner_mismatch(base, ARGV[3]) then return NOT_OWNER end
if id == "" then id = head_of(base, ns) end
if not id then return false end
local flat = rcall("HGETALL", ckpt_key(base, ns, id))
if #flat == 0 then return false end
local node, blobs_json = {}, "[]"
for i = 1, #flat, 2 do
  if flat[i] ~= "parent" then
    node[#node + 1] = flat[i]
    node[#node + 1] = flat[i + 1]
  end
  if flat[i] == "blobs" then blobs_json = flat[i + 1] end
end
local blobs = hmget_pairs(blobs_key(base, ns), cjson.decode(blobs_json))
return { id, node, blobs, rcall("HGETALL", writes_key(base, ns, id)) }
