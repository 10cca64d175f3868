--[[
  readState: one checkpoint as getTuple reads it, plus what rebuilds the requested channels that
  it does not store itself (DeltaChannels: see includes/delta-walk.lua), in one round trip. This
  is how the conversation layer reads a checkpoint's full state (messages included) whatever
  kind of channel holds it.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id, or "" for the namespace's head
  ARGV[3]  owner the caller acts for, or "" for no owner check
  ARGV[4]  the validator of the caller's cache ("" for none), as in delta-history-1.lua
  ARGV[5 .. ]  the walk: max checkpoints, max bytes, C, C requested channels, K, K known ids,
           "" (the walked channels are the ones the checkpoint rebuilds: a gap is an error)

  Returns NOT_OWNER, or { validator, tuple (includes/read-tuple.lua) or false, the indices of the
  requested channels that the checkpoint rebuilds from its ancestors, facts, frontier }.
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "read-tuple"
--- @include "delta-walk"
local base, ns, id = KEYS[1], ARGV[1], ARGV[2]
if owner_mismatch(base, ARGV[3]) then return NOT_OWNER end
local validator = thread_validator(base)
local w = walk_args(ARGV, base, ns, 5)
if ARGV[4] ~= validator then w.known = {} end
local tuple = read_tuple_at(base, ns, id)
if not tuple then return { validator, false, {}, {}, {} } end
local rebuilt = {}
local delta = redis.call("HGET", ckpt_key(base, ns, tuple[1]), "delta")
if delta then
  local wanted = {}
  for _, name in ipairs(cjson.decode(delta)) do wanted[name] = true end
  for c, name in ipairs(w.channels) do
    if wanted[name] then rebuilt[#rebuilt + 1] = c end
  end
end
w.queue = {}
if #rebuilt > 0 and tuple[4] then w.queue[1] = { tuple[4], tuple[1], rebuilt } end
local facts, frontier = delta_walk(w)
return { validator, tuple, rebuilt, facts, frontier }
