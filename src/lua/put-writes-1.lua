#!lua
--[[
  putWrites: stores the pending writes of one task against one checkpoint, atomically.
  Writes to special channels (errors, interrupts, resume, scheduled) replace what is there; other
  writes are insert-if-absent, so a retried task never duplicates or changes a write.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  checkpoint id
  ARGV[3]  the saver's default TTL in ms, "0" for none
  ARGV[4]  "error" when the task failed (a write to `__error__`), "interrupted" when it was
           interrupted (writes to `__interrupt__`), else ""
  ARGV[5]  the task id
  ARGV[6]  with "interrupted": the task's interrupts, a JSON array of { id, value }
  ARGV[7 .. ]  triples: mode ("s" = overwrite, "n" = only if absent), field `<taskId>:<idx>`,
               packed write

  A new write under a checkpoint that already has children moves the thread's write generation
  (see includes/delta-walk.lua). A failed or interrupted task of the root namespace's head changes
  the thread's status (includes/thread-status.lua), and so does one of a newer checkpoint (its put
  may arrive after the writes of the step it starts); of an older checkpoint, it does not.

  Returns { the number of writes stored (ignored duplicates not counted), then, when the status
  changed: the owner (or false), the status sequence number, the status, the head's interrupts
  (JSON array) }.
]]
--- @include "keys"
--- @include "ttl"
--- @include "thread-status"
--- @include "bytes-lt"
local rcall = redis.call
local base = KEYS[1]
local ns, id = ARGV[1], ARGV[2]
local wkey = writes_key(base, ns, id)
local stored = 0
for i = 7, #ARGV, 3 do
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
local record = rcall("HMGET", thread_key(base), "created", "ttl", "expires", "mv", head_field(ns), "owner")
if not record[5] then rcall("SADD", nss_key(base), ns) end
local dated = ARGV[3] ~= "0" or record[2] or record[3] or record[4]
apply_ttl(base, ARGV[3], dated and { wkey, wids_key(base, ns), nss_key(base) } or {}, "no", { exists = record[1] ~= false, own = record[2], expires = record[3], mv = record[4] })
-- The head's tasks, or those of a newer checkpoint whose put is still on its way, tell the status.
if ARGV[4] ~= "" and ns == "" and (not record[5] or record[5] == id or bytes_lt(record[5], id)) then
  local seq, status, interrupts = note_thread_status(thread_key(base), id, ARGV[4], ARGV[5], ARGV[6])
  return { stored, record[6], seq, status, interrupts }
end
return { stored }
