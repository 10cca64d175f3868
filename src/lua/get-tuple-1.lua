--[[
  getTuple: one checkpoint with its channel values and pending writes, in one round trip.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id, or "" for the namespace's head (see includes/head.lua)
  ARGV[3]  owner the caller acts for, or "" for no owner check

  Returns the tuple described in includes/read-tuple.lua, nil when there is none, or NOT_OWNER.
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "head"
--- @include "read-tuple"
local base = KEYS[1]
local ns, id = ARGV[1], ARGV[2]
if owner_mismatch(base, ARGV[3]) then return NOT_OWNER end
if id == "" then
  id = head_of(base, ns)
  if not id then return false end
end
return read_tuple(base, ns, id)
