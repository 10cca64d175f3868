#!lua
--[[
  forkPlant: the target half of a shallow fork: plants the checkpoints read by forkRead as a new
  thread owned by the user, the last one as its head and only branch tip. Usually that is one
  checkpoint; when it rebuilds DeltaChannels from ancestors, a first checkpoint (its parent here)
  carries their seeds and writes, so the fork needs no history of the source. Refuses a thread
  that already exists.

  KEYS[1]  thread base `P:{T}` of the new thread

  ARGV[1]  checkpoint namespace
  ARGV[2]  owner (user id)
  ARGV[3]  now, in ms since the epoch
  ARGV[4]  the saver's default TTL in ms, "0" for none
  ARGV[5]  the planted head's status, "interrupted" or "error" (its pending writes say a task was
           interrupted or failed: the fork waits on the same interrupts), or "" for idle
  ARGV[6]  K, then K pairs: task id, that task's interrupts (JSON array)
  ARGV[7+2K]  N, the number of checkpoints (oldest first); then for each:
             checkpoint id,
             F, then F pairs: node field, value,
             B, then B pairs: blob field, value,
             W, then W pairs: write field, value

  Returns { the deadline in ms (0 = no expiry), 1 when a move to it is left to step through
  (includes/ttl.lua) else 0 }, or EXISTS (nothing written).
]]
--- @include "keys"
--- @include "codes"
--- @include "ttl"
--- @include "epoch"
--- @include "thread-status"
local rcall = redis.call
local base, ns = KEYS[1], ARGV[1]
local thread = thread_key(base)
if rcall("EXISTS", thread) == 1 or rcall("SCARD", nss_key(base)) > 0 then return EXISTS end

local function hset_pairs(key, at)
  local n = tonumber(ARGV[at])
  local last = at + 2 * n
  for i = at + 1, last, 1000 do rcall("HSET", key, unpack(ARGV, i, math.min(i + 999, last))) end
  return last + 1
end
local k = tonumber(ARGV[6])
local at, id = 8 + 2 * k, nil
for _ = 1, tonumber(ARGV[7 + 2 * k]) do
  id = ARGV[at]
  at = hset_pairs(ckpt_key(base, ns, id), at + 1)
  at = hset_pairs(blobs_key(base, ns), at)
  at = hset_pairs(writes_key(base, ns, id), at)
  rcall("ZADD", ckpts_key(base, ns), 0, id)
end
rcall("SADD", leaves_key(base, ns), id)
rcall("SADD", nss_key(base), ns)
rcall("HSET", thread, "owner", ARGV[2], "created", ARGV[3], "updated", ARGV[3], "epoch", new_epoch(), head_field(ns), id)
-- The namespace has DeltaChannels if the planted checkpoint does (see put-1.lua).
if rcall("HEXISTS", ckpt_key(base, ns, id), "dch") == 1 then rcall("HSET", thread, "delta:" .. ns, "1") end
-- The head's status, as the put and putWrites scripts would have noted it (includes/thread-status.lua).
if ARGV[5] ~= "" and ns == "" then
  local status, tasks = { "st", ARGV[5], "sc", id, "sq", "1" }, {}
  for i = 7, 6 + 2 * k, 2 do
    tasks[#tasks + 1] = ARGV[i]
    status[#status + 1] = "si:" .. ARGV[i]
    status[#status + 1] = ARGV[i + 1]
  end
  if #tasks > 0 then
    status[#status + 1] = "sit"
    status[#status + 1] = cjson.encode(tasks)
  end
  rcall("HSET", thread, unpack(status))
end
local deadline, moving = apply_ttl(base, ARGV[4], {}, "force")
return { deadline, moving and 1 or 0 }
