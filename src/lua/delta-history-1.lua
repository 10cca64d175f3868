--[[
  deltaHistory: what LangGraph needs to rebuild DeltaChannel values at a checkpoint
  (getDeltaChannelHistory): for each channel, the pending writes of every ancestor from the
  parent up to the nearest ancestor that stores the channel (the seed, included), and that seed.
  One bounded walk (includes/delta-walk.lua); a walk longer than the budget returns a frontier,
  and the caller resumes it with mode "resume".

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  owner the caller acts for, or "" for no owner check
  ARGV[3]  the validator of the caller's cache ("" for none): known checkpoints (below) are only
           trusted while the thread's validator still equals it
  ARGV[4 .. ]  the walk: max checkpoints, max bytes, C, C channels, K, K known ids, lenient
           channels (walk_args; with "target" the lenient channels are the ones the target does not
           rebuild from its ancestors, and ARGV's are ignored)
  then     "target", checkpoint id ("" for the head): start at that checkpoint's parent
       or  "resume", then triples: checkpoint id, child id or "", channel indices "i,j"

  Returns NOT_OWNER, or { validator, target id or false (no such checkpoint; "resume": false),
  the target's parent or false, facts, frontier, lenient channels "i,j" (pass them on when
  resuming) } (facts and frontier as in delta_walk).
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "head"
--- @include "delta-walk"
local base, ns = KEYS[1], ARGV[1]
if owner_mismatch(base, ARGV[2]) then return NOT_OWNER end
local validator = thread_validator(base)
local w, i = walk_args(ARGV, base, ns, 4)
if ARGV[3] ~= validator then w.known = {} end
w.queue = {}
local target, parent, lenient = false, false, ARGV[i - 1]
if ARGV[i] == "target" then
  target = ARGV[i + 1]
  if target == "" then target = head_of(base, ns) end
  if target then
    local node = redis.call("HMGET", ckpt_key(base, ns, target), "v", "parent")
    if not node[1] then
      target = false
    elseif node[2] then
      parent = node[2]
      w.lenient = {}
      lenient = lenient_for(w, base, ns, target)
      w.queue[1] = { parent, target, all_channels(w) }
    end
  end
else
  for j = i + 1, #ARGV, 3 do
    local indices = {}
    for c in string.gmatch(ARGV[j + 2], "%d+") do indices[#indices + 1] = tonumber(c) end
    w.queue[#w.queue + 1] = { ARGV[j], ARGV[j + 1] ~= "" and ARGV[j + 1] or false, indices }
  end
end
local facts, frontier = delta_walk(w)
return { validator, target, parent, facts, frontier, lenient }
