#!lua flags=allow-oom
--[[
  ttlMove: one step of moving a big thread to a new deadline (see includes/ttl.lua): up to BUDGET
  checkpoints' keys get the deadline; the last step gives it to the spine when that was left for
  last, and ends the move. Allowed out of memory: it changes deadlines, and frees none.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  BUDGET: checkpoints whose keys one step moves at most

  Returns { 1 when the move is done (or there was none) else 0, the thread's deadline in ms in
  force now (0 = none), owner or false }.
]]
--- @include "keys"
--- @include "ttl"
local base = KEYS[1]
local thread = thread_key(base)
local r = redis.call("HMGET", thread, "mv", "mv_ns", "mv_id", "expires", "owner")
local current = tonumber(r[4] or "0")
if not r[1] then return { 1, current, r[5] } end
local at = tonumber(r[1])
local id = r[3] or ""
local ns, last = move_body(base, at, id ~= "" and r[2] or nil, id, tonumber(ARGV[1]))
if ns then
  redis.call("HSET", thread, "mv_ns", ns, "mv_id", last)
  return { 0, current, r[5] }
end
return { 1, finish_move(base, at), r[5] }
