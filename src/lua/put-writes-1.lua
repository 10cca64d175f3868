#!lua
--[[
  putWrites: stores the pending writes of one or more tasks of one thread, each against its
  checkpoint, atomically. The saver sends the putWrites calls a thread makes in one turn of the
  event loop (the tasks of a step that finish together) as one call of this script: one round
  trip and one script instead of one per task.
  Writes to special channels (errors, interrupts, resume, scheduled) replace what is there; other
  writes are insert-if-absent, so a retried task never duplicates or changes a write.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  the saver's default TTL in ms, "0" for none
  ARGV[2]  G, the number of tasks' write groups that follow, in the order the tasks sent them;
           each group is:
             namespace, checkpoint id,
             "error" when the task failed (a write to `__error__`), "interrupted" when it was
             interrupted (writes to `__interrupt__`), else "",
             the task id,
             with "interrupted": the task's interrupts, a JSON array of { id, value }, else "",
             W, the number of writes,
             W triples: mode ("s" = overwrite, "n" = only if absent), field `<taskId>:<idx>`,
             packed write

  A new write under a checkpoint that already has children moves the thread's write generation
  (see includes/delta-walk.lua). A failed or interrupted task of the root namespace's head changes
  the thread's status (includes/thread-status.lua), and so does one of a newer checkpoint (its put
  may arrive after the writes of the step it starts); of an older checkpoint, it does not.

  Returns, per group in order: { the number of writes stored (ignored duplicates not counted),
  then, when the status changed: the owner (or false), the status sequence number, the status,
  the head's interrupts (JSON array) }.
]]
--- @include "keys"
--- @include "ttl"
--- @include "thread-status"
--- @include "bytes-lt"
local rcall = redis.call
local base = KEYS[1]
local thread = thread_key(base)
local ttl = ARGV[1]

-- One task's writes against checkpoint `id` of namespace `ns`: ARGV[at] on are its triples.
local function store_group(ns, id, outcome, task, interrupts, at, count)
  local wkey = writes_key(base, ns, id)
  local stored = 0
  for i = at, at + 3 * count - 1, 3 do
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
    rcall("HINCRBY", thread, "wgen", 1)
  end
  -- The thread record's TTL fields and the namespace's head in one read: a namespace with a head
  -- is in the namespace set already (see put-1.lua), and keys are dated only when the thread expires.
  local record = rcall("HMGET", thread, "created", "ttl", "expires", "mv", head_field(ns), "owner")
  if not record[5] then rcall("SADD", nss_key(base), ns) end
  local dated = ttl ~= "0" or record[2] or record[3] or record[4]
  apply_ttl(base, ttl, dated and { wkey, wids_key(base, ns), nss_key(base) } or {}, "no", { exists = record[1] ~= false, own = record[2], expires = record[3], mv = record[4] })
  -- The head's tasks, or those of a newer checkpoint whose put is still on its way, tell the status.
  if outcome ~= "" and ns == "" and (not record[5] or record[5] == id or bytes_lt(record[5], id)) then
    local seq, status, all = note_thread_status(thread, id, outcome, task, interrupts)
    return { stored, record[6], seq, status, all }
  end
  return { stored }
end

local replies = {}
local at = 3
for g = 1, tonumber(ARGV[2]) do
  local count = tonumber(ARGV[at + 5])
  replies[g] = store_group(ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4], at + 6, count)
  at = at + 6 + 3 * count
end
return replies
