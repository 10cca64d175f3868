--[[
  getTuple: one checkpoint with its channel values and pending writes, in one round trip.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id, or "" for the namespace's head (see includes/head.lua)
  ARGV[3]  owner the caller acts for, or "" for no owner check
  ARGV[4]  with refreshOnRead, the saver's default TTL in ms; "" not to touch expiry

  Returns { tuple (see includes/read-tuple.lua) or false, deadline in ms when a read pushed it
  (else 0), owner or false }, or NOT_OWNER.
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "head"
--- @include "ttl"
--- @include "read-tuple"
local base = KEYS[1]
local ns, id = ARGV[1], ARGV[2]
if owner_mismatch(base, ARGV[3]) then return NOT_OWNER end
if id == "" then id = head_of(base, ns) end
local tuple = id and read_tuple(base, ns, id) or false
local pushed = 0
if tuple and ARGV[4] ~= "" then
  local before = redis.call("HGET", thread_key(base), "expires")
  local deadline = apply_ttl(base, ARGV[4], {}, "due")
  if deadline > 0 and string.format("%.0f", deadline) ~= before then pushed = deadline end
end
return { tuple, pushed, redis.call("HGET", thread_key(base), "owner") }
