--[[
  getTuple: one checkpoint with its channel values and pending writes, in one round trip.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id, or "" for the namespace's head
  ARGV[3]  owner the caller acts for, or "" for no owner check
  ARGV[4]  with refreshOnRead, the saver's default TTL in ms; "" not to touch expiry
  ARGV[5]  ids of list nodes whose elements the caller holds, separated by "," ("" for none): a list
           value naming one comes back as its node id alone (includes/lists.lua list_value)

  Returns { tuple (see includes/read-tuple.lua) or false, deadline in ms when a read pushed it
  (else 0), owner or false, 1 when a move to a new deadline is left to step through (see
  includes/ttl.lua) else 0 }, or NOT_OWNER.
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "ttl"
--- @include "read-tuple"
local base = KEYS[1]
local ns, id = ARGV[1], ARGV[2]
if owner_mismatch(base, ARGV[3]) then return NOT_OWNER end
local tuple = read_tuple_at(base, ns, id, known_nodes(ARGV[5] or ""))
if tuple and ARGV[4] ~= "" then
  local state = ttl_state(base)
  local deadline, moving = apply_ttl(base, ARGV[4], {}, "due", state)
  if moving or (deadline > 0 and string.format("%.0f", deadline) ~= state.expires) then
    return { tuple, deadline, redis.call("HGET", thread_key(base), "owner"), moving and 1 or 0 }
  end
end
return { tuple or false, 0, false, 0 }
