#!lua
--[[
  leaseConversation: the owner's side of a run's lease (see run-lease-1.lua for the thread's):
  marks the conversation busy until the lease's deadline, or back to its own status. Each run has
  its own token, and only the run whose token is recorded renews or releases, so a late release
  of a finished run never frees the run after it; a take records a lease only if its generation is
  newer than the one recorded, so a run that stalled before its take (and lost its lease to the
  next run) never takes the mark from the run after it. The `run` hash keeps `<generation>:<token>`,
  and `<generation>:` once released.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  thread id
  ARGV[2]  "take", "renew" or "drop"
  ARGV[3]  the run's token
  ARGV[4]  the lease's deadline in ms (take, renew)
  ARGV[5]  the lease's generation (take; see run-lease-1.lua)

  Returns the status the conversation shows now, or false when nothing changed (no such
  conversation, or another run's token).
]]
--- @include "keys"
--- @include "user-keys"
--- @include "user-status"
--- @include "ttl"
local rcall = redis.call
local ubase, thread_id, mode, token = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
if rcall("HEXISTS", user_meta_key(ubase), thread_id) == 0 then return false end
local recorded = rcall("HGET", user_run_key(ubase), thread_id)
local generation, holder = string.match(recorded or "", "^(%d+):(.*)$")
if mode == "take" then
  if generation and tonumber(generation) >= tonumber(ARGV[5]) then return false end
  rcall("HSET", user_run_key(ubase), thread_id, ARGV[5] .. ":" .. token)
  rcall("ZADD", user_runs_key(ubase), ARGV[4], thread_id)
elseif holder ~= token then
  return false
elseif mode == "drop" then
  rcall("HSET", user_run_key(ubase), thread_id, generation .. ":")
  rcall("ZREM", user_runs_key(ubase), thread_id)
else
  rcall("ZADD", user_runs_key(ubase), ARGV[4], thread_id)
end
return place_status(ubase, thread_id, now_ms())
