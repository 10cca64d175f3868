--[[
  forkRead: the source half of a shallow fork: one checkpoint's stored fields (without its
  parent), the channel values it reads and its pending writes, as stored bytes; and, for the
  DeltaChannels it rebuilds from its ancestors, the walk that finds their seeds and writes
  (includes/delta-walk.lua). Its cost depends on the checkpoint's state, never on how long the
  thread's history is (a DeltaChannel's walk ends at its latest snapshot).

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id, or "" for the head
  ARGV[3]  owner the caller acts for, or "" for no owner check
  ARGV[4]  max checkpoints the walk visits in this call
  ARGV[5]  max bytes of values the walk returns in this call (about)

  Returns { id, { field, value, ... } node, { blob field, value, ... }, { write field, value,
  ... }, parent or false, { walked channel, ... }, facts, frontier, validator } (facts, frontier
  and validator as in includes/delta-walk.lua; resume the frontier with delta-history-1.lua),
  false when there is no such checkpoint, or NOT_OWNER.
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "head"
--- @include "blobs"
--- @include "delta-walk"
local rcall = redis.call
local base, ns, id = KEYS[1], ARGV[1], ARGV[2]
if owner_mismatch(base, ARGV[3]) then return NOT_OWNER end
if id == "" then id = head_of(base, ns) end
if not id then return false end
local flat = rcall("HGETALL", ckpt_key(base, ns, id))
if #flat == 0 then return false end
local node, blobs_json, parent, delta, strict = {}, "[]", false, false, false
for i = 1, #flat, 2 do
  local f = flat[i]
  if f == "parent" then
    parent = flat[i + 1]
  else
    node[#node + 1] = f
    node[#node + 1] = flat[i + 1]
  end
  if f == "blobs" then blobs_json = flat[i + 1] end
  if f == "delta" then delta = flat[i + 1] end
  if f == "fmt" then strict = true end
end
local fields = cjson.decode(blobs_json)
local blobs = read_blobs(base, ns, fields, "checkpoint " .. id .. " channel value")
if #blobs ~= 2 * #fields and strict then missing("checkpoint " .. id .. " names a channel value that is not stored") end
local w = { base = base, ns = ns, max_nodes = tonumber(ARGV[4]), max_bytes = tonumber(ARGV[5]), channels = {}, known = {}, lenient = {}, queue = {} }
if delta and parent then
  w.channels = cjson.decode(delta)
  w.queue[1] = { parent, id, all_channels(w) }
end
local facts, frontier = delta_walk(w)
return { id, node, blobs, rcall("HGETALL", writes_key(base, ns, id)), parent, w.channels, facts, frontier, thread_validator(base) }
