#!lua flags=allow-oom
--[[
  deleteThread: removes every key of one thread, in every namespace, in steps of bounded work
  that the saver repeats until nothing is left, so that a thread of any size never holds Redis
  for long (a script blocks every other client while it runs).

  The first step makes the whole thread disappear at once: its record and namespace set go, each
  namespace's value hashes go (UNLINK: Redis frees a big value off its main thread), and each
  namespace's index of checkpoint ids and of write ids is renamed into the thread's trash. From
  then on the thread reads as absent, and a new thread under the same id starts from nothing.
  Each step (the first one too) then removes up to BUDGET of the checkpoint and write keys the
  trash names. A step that stops early leaves only trash, which nothing reads; the next
  deleteThread of this id, from any process, finishes it. The thread's namespaces and ids are
  read from its own indexes: nothing scans the keyspace, and a thread id full of pattern
  characters (`*`, `?`, `[`) can only ever reach its own keys.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  owner the caller acts for, or "" for no owner check (first step only)
  ARGV[2]  BUDGET: how many keys one step removes at most, besides the first step's O(namespaces)
  ARGV[3]  "1" for a further step: only the trash is worked on, the thread (if one appeared
           again meanwhile) is left alone

  Returns { number of keys removed, owner or false, 1 when trash is left (step again) else 0 },
  or NOT_OWNER (nothing removed).
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
local rcall = redis.call
local base = KEYS[1]
local budget = tonumber(ARGV[2])
local removed = 0
local owner = false
local trash = trash_key(base)

if ARGV[3] ~= "1" then
  if owner_mismatch(base, ARGV[1]) then return NOT_OWNER end
  owner = rcall("HGET", thread_key(base), "owner")
  -- An index is renamed, not copied: O(1) whatever it holds.
  local function to_trash(key, ns)
    if rcall("EXISTS", key) == 0 then return end
    local n = rcall("INCR", trash_seq_key(base))
    rcall("RENAME", key, trashed_key(base, n))
    rcall("SADD", trash, n .. ":" .. ns)
    removed = removed + 1
  end
  local unlink = {}
  for _, ns in ipairs(rcall("SMEMBERS", nss_key(base))) do
    to_trash(ckpts_key(base, ns), ns)
    to_trash(wids_key(base, ns), ns)
    -- The rest of the namespace's own keys (the two just renamed are gone from under their names).
    for _, key in ipairs(ns_keys(base, ns)) do unlink[#unlink + 1] = key end
  end
  unlink[#unlink + 1] = nss_key(base)
  unlink[#unlink + 1] = thread_key(base)
  removed = removed + rcall("UNLINK", unpack(unlink))
end

-- Trash entries are "<n>:<namespace>": the index `trash:<n>` (checkpoint ids, a sorted set, or
-- write ids, a set) names keys of that namespace. Both kinds name a checkpoint's writes key.
local left = budget
for _, entry in ipairs(rcall("SMEMBERS", trash)) do
  if left <= 0 then break end
  local n, ns = string.match(entry, "^(%d+):(.*)$")
  local key = trashed_key(base, n)
  local zset = rcall("TYPE", key).ok == "zset"
  local ids = zset and rcall("ZRANGE", key, 0, math.max(0, math.floor(left / 2) - 1)) or rcall("SPOP", key, math.max(1, left))
  local keys = {}
  for _, id in ipairs(ids) do
    if zset then keys[#keys + 1] = ckpt_key(base, ns, id) end
    keys[#keys + 1] = writes_key(base, ns, id)
  end
  for i = 1, #keys, 1000 do removed = removed + rcall("UNLINK", unpack(keys, i, math.min(i + 999, #keys))) end
  if zset and #ids > 0 then rcall("ZREMRANGEBYRANK", key, 0, #ids - 1) end
  left = left - #keys
  if rcall("EXISTS", key) == 0 then rcall("SREM", trash, entry) end
end
local more = rcall("EXISTS", trash)
if more == 0 then rcall("UNLINK", trash_seq_key(base)) end
return { removed, owner, more }
