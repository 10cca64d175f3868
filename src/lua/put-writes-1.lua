#!lua
--[[
  putWrites: stores the pending writes of one task against one checkpoint, atomically.
  Writes to special channels (errors, interrupts, resume, scheduled) replace what is there; other
  writes are insert-if-absent, so a retried task never duplicates or changes a write.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id
  ARGV[3]  the saver's default TTL in ms, "0" for none
  ARGV[4 .. ]  triples: mode ("s" = overwrite, "n" = only if absent), field `<taskId>:<idx>`,
               packed write

  A new write under a checkpoint that already has children moves the thread's write generation
  (see includes/delta-walk.lua).

  Returns the number of writes stored (ignored duplicates not counted).
]]
--- @include "keys"
--- @include "ttl"
local rcall = redis.call
local base = KEYS[1]
local ns, id = ARGV[1], ARGV[2]
local wkey = writes_key(base, ns, id)
local stored = 0
for i = 4, #ARGV, 3 do
  if ARGV[i] == "s" then
    rcall("HSET", wkey, ARGV[i + 1], ARGV[i + 2])
    stored = stored + 1
  else
    stored = stored + rcall("HSETNX", wkey, ARGV[i + 1], ARGV[i + 2])
  end
end
-- Writes may arrive for a checkpoint that is not stored (yet); remember them so that
-- deleteThread finds every key of the thread without scanning.
if not rcall("ZSCORE", ckpts_key(base, ns), id) then
  rcall("SADD", wids_key(base, ns), id)
elseif stored > 0 and rcall("SISMEMBER", leaves_key(base, ns), id) == 0 then
  -- New writes under a checkpoint that has children (graph.updateState on an older checkpoint)
  -- change the DeltaChannel histories read through it: tell the caches (includes/delta-walk.lua).
  rcall("HINCRBY", thread_key(base), "wgen", 1)
end
-- The thread record's TTL fields and the namespace's head in one read: a namespace with a head is
-- in the namespace set already (see put-1.lua), and keys are dated only when the thread expires.
local record = rcall("HMGET", thread_key(base), "created", "ttl", "expires", "mv", head_field(ns))
if not record[5] then rcall("SADD", nss_key(base), ns) end
local dated = ARGV[3] ~= "0" or record[2] or record[3] or record[4]
apply_ttl(base, ARGV[3], dated and { wkey, wids_key(base, ns), nss_key(base) } or {}, "no", { exists = record[1] ~= false, own = record[2], expires = record[3], mv = record[4] })
return stored
