-- A thread's status as its root namespace's head says it, kept in the thread record so that the
-- put and putWrites scripts derive it without reading any state:
--   st          "interrupted" or "error"; absent: idle (the head has neither)
--   sc          the checkpoint whose tasks `st` is about
--   sq          how many times the status changed: the owner's index keeps the highest it was sent
--               (set-conversation-status-1.lua), so updates that cross on the way apply in order
--   sit         JSON array of the task ids that wrote interrupts to the head
--   si:<task>   JSON array of that task's interrupts ({ id, value }), as the saver built it
-- Interrupt values are never decoded here: Lua's JSON would round numbers it re-encodes.

-- Every interrupt of the head, one JSON array, from the tasks' arrays (`tasks`: the `sit` field).
local function thread_interrupts(thread, tasks)
  if not tasks then return "[]" end
  local fields = {}
  for _, task in ipairs(cjson.decode(tasks)) do fields[#fields + 1] = "si:" .. task end
  local parts = {}
  for _, json in ipairs(redis.call("HMGET", thread, unpack(fields))) do
    if json and #json > 2 then parts[#parts + 1] = string.sub(json, 2, -2) end
  end
  return "[" .. table.concat(parts, ",") .. "]"
end

-- The head moved on: the thread is idle again. `tasks`: the `sit` field. The new sequence number.
local function clear_thread_status(thread, tasks)
  local fields = { "st", "sit", "sc" }
  if tasks then
    for _, task in ipairs(cjson.decode(tasks)) do fields[#fields + 1] = "si:" .. task end
  end
  redis.call("HDEL", thread, unpack(fields))
  return redis.call("HINCRBY", thread, "sq", 1)
end

-- A task of checkpoint `id` failed ("error") or was interrupted ("interrupted", with its
-- interrupts as a JSON array); `id` is the head, or a newer checkpoint whose put has not arrived
-- yet (LangGraph does not wait for a put before the writes of the step after it). An error
-- outranks interrupts: the run stopped on it. A task's interrupts replace what it wrote before (a
-- resumed node that interrupts again); a status noted for another checkpoint is replaced whole.
-- Returns the new sequence number, the status and every interrupt of the checkpoint.
local function note_thread_status(thread, id, status, task, interrupts)
  local current = redis.call("HMGET", thread, "st", "sit", "sc")
  if current[1] and current[3] ~= id then
    clear_thread_status(thread, current[2])
    current = { false, false, false }
  end
  local st = (status == "error" or current[1] == "error") and "error" or "interrupted"
  local tasks = current[2]
  local fields = { "st", st, "sc", id }
  if status == "interrupted" then
    local list = tasks and cjson.decode(tasks) or {}
    local known = false
    for _, t in ipairs(list) do if t == task then known = true end end
    if not known then list[#list + 1] = task end
    tasks = cjson.encode(list)
    fields[#fields + 1] = "sit"
    fields[#fields + 1] = tasks
    fields[#fields + 1] = "si:" .. task
    fields[#fields + 1] = interrupts
  end
  redis.call("HSET", thread, unpack(fields))
  local seq = redis.call("HINCRBY", thread, "sq", 1)
  return seq, st, thread_interrupts(thread, tasks)
end
