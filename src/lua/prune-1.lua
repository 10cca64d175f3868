#!lua flags=allow-oom
--[[
  prune: keeps the newest N checkpoints of every namespace of a thread (or of one), with the
  channel values and writes they need; removes the rest. One call is one bounded step of that
  (see includes/prune.lua): the caller calls again while the reply says work is left. Allowed
  out of memory: it frees memory (the names of the values it parks are a small part of what it
  removes).

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  N, the checkpoints to keep per namespace (1 or more)
  ARGV[2]  BUDGET: checkpoints and channel values one call removes at most
  ARGV[3]  "" for every namespace, or "=" followed by the one namespace to prune

  Returns { number of checkpoints removed, 1 when work is left (call again) else 0 }.
]]
--- @include "keys"
--- @include "prune"
local keep, budget = tonumber(ARGV[1]), tonumber(ARGV[2])
local nss = ARGV[3] == "" and redis.call("SMEMBERS", nss_key(KEYS[1])) or { string.sub(ARGV[3], 2) }
local removed, more = 0, false
for _, ns in ipairs(nss) do
  if budget <= 0 then
    more = true
    break
  end
  local gone, left, again = prune_ns(KEYS[1], ns, keep, budget)
  removed, budget = removed + gone, left
  more = more or again
end
return { removed, more and 1 or 0 }
