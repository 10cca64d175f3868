--[[
  forkPlant: the target half of a shallow fork: plants one checkpoint, as read by forkRead, as the
  root and head of a new thread owned by the user. Refuses a thread that already exists.

  KEYS[1]  thread base `P:{T}` of the new thread

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id
  ARGV[3]  owner (user id)
  ARGV[4]  now, in ms since the epoch
  ARGV[5]  the saver's default TTL in ms, "0" for none
  ARGV[6]  N, the number of node fields
  ARGV[7 .. 6+2N]   pairs: node field, value
  ARGV[7+2N]        B, the number of blobs
  ARGV[8+2N .. 7+2N+2B]   pairs: blob field, value
  ARGV[8+2N+2B .. ]       pairs: write field, value

  Returns the deadline in ms (0 = no expiry), or EXISTS (nothing written).
]]
--- @include "keys"
--- @include "codes"
--- @include "ttl"
local rcall = redis.call
local base, ns, id = KEYS[1], ARGV[1], ARGV[2]
local thread = thread_key(base)
if rcall("EXISTS", thread) == 1 or rcall("SCARD", nss_key(base)) > 0 then return EXISTS end

local function hset_range(key, from, to)
  for i = from, to, 1000 do rcall("HSET", key, unpack(ARGV, i, math.min(i + 999, to))) end
end
local n = tonumber(ARGV[6])
hset_range(ckpt_key(base, ns, id), 7, 6 + 2 * n)
local b = tonumber(ARGV[7 + 2 * n])
if b > 0 then hset_range(blobs_key(base, ns), 8 + 2 * n, 7 + 2 * n + 2 * b) end
if #ARGV >= 8 + 2 * n + 2 * b then hset_range(writes_key(base, ns, id), 8 + 2 * n + 2 * b, #ARGV) end
rcall("ZADD", ckpts_key(base, ns), 0, id)
rcall("SADD", leaves_key(base, ns), id)
rcall("SADD", nss_key(base), ns)
rcall("HSET", thread, "owner", ARGV[3], "created", ARGV[4], "updated", ARGV[4], head_field(ns), id)
return apply_ttl(base, ARGV[5], {}, "force")
