-- Retention. A thread with a TTL has one deadline (`expires`, ms, in its record), and its keys
-- expire then. Pushing the deadline means touching every key of the thread, so it is pushed only
-- when less than 90% of the TTL is left: a thread expires between 0.9 x TTL and TTL after its last
-- activity, and an active thread pays the O(keys) refresh once per 10% of its TTL. In between,
-- a script only gives the deadline to the keys it created.
--
-- A thread's keys are its spine (the record, the namespace set and each namespace's indexes and
-- value hashes: a few per namespace) and its body (each checkpoint's node and writes: two per
-- checkpoint). Whatever happens, no body key expires before the spine: when the spine expires the
-- whole thread reads as absent (readers check the record; see read-tuple.lua), and a body key
-- that outlives it is only memory until its own deadline. A small thread moves to a new deadline
-- in the script that asks for it. A big one moves in steps (ttl-move-1.lua) that the saver runs
-- right after that script's reply, so that no script holds Redis long: a later deadline is given
-- to the body first and to the spine last, an earlier one to the spine first. The record keeps
-- the move under way (`mv`: its deadline, "0" for none; `mv_ns`, `mv_id`: how far the body got);
-- keys created meanwhile get the later of the two deadlines.

-- Threads of at most this many checkpoints and write sets move to a new deadline in one script.
local TTL_INLINE = 250

local function now_ms()
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- What apply_ttl needs of the thread record, read in one call. Scripts that read the record
-- anyway pass these fields instead (see put-1.lua).
local function ttl_state(base)
  local r = redis.call("HMGET", thread_key(base), "created", "ttl", "expires", "mv")
  return { exists = r[1] ~= false, own = r[2], expires = r[3], mv = r[4] }
end

-- A deadline (ms, or 0 for none) to a key, and whether deadline `a` is later than `b` (0 is never).
local function set_deadline(key, at)
  if at == 0 then redis.call("PERSIST", key) else redis.call("PEXPIREAT", key, string.format("%.0f", at)) end
end
local function later(a, b)
  if a == b then return false end
  return a == 0 or (b ~= 0 and a > b)
end

local function spine_keys(base)
  local keys = { thread_key(base), nss_key(base) }
  for _, ns in ipairs(redis.call("SMEMBERS", nss_key(base))) do
    for _, key in ipairs(ns_keys(base, ns)) do keys[#keys + 1] = key end
  end
  return keys
end

-- Gives deadline `at` to up to `budget` checkpoints' keys (node and writes) of the body, from the
-- cursor (namespace, id) on, namespaces in sorted order; a namespace's write sets without a
-- checkpoint go at its end. Returns the cursor to go on from, or nil when the body is done.
-- A budget of -1 moves the whole body.
local function move_body(base, at, cursor_ns, cursor_id, budget)
  local rcall = redis.call
  local nss = rcall("SMEMBERS", nss_key(base))
  table.sort(nss)
  for _, ns in ipairs(nss) do
    if cursor_ns == nil or ns > cursor_ns or (ns == cursor_ns and cursor_id ~= "") then
      local from = (ns == cursor_ns and cursor_id ~= "") and ("(" .. cursor_id) or "-"
      local ids = rcall("ZRANGEBYLEX", ckpts_key(base, ns), from, "+", "LIMIT", 0, budget)
      for _, id in ipairs(ids) do
        set_deadline(ckpt_key(base, ns, id), at)
        set_deadline(writes_key(base, ns, id), at)
      end
      if budget >= 0 then
        budget = budget - #ids
        if budget <= 0 and #ids > 0 then return ns, ids[#ids] end
      end
      for _, id in ipairs(rcall("SMEMBERS", wids_key(base, ns))) do set_deadline(writes_key(base, ns, id), at) end
    end
  end
  return nil
end

-- Ends a move whose body is done: the spine gets the deadline (when it is the later one, it was
-- left for last) and the record forgets the move. Returns the deadline.
local function finish_move(base, at)
  local thread = thread_key(base)
  for _, key in ipairs(spine_keys(base)) do set_deadline(key, at) end
  if at == 0 then redis.call("HDEL", thread, "expires") else redis.call("HSET", thread, "expires", string.format("%.0f", at)) end
  redis.call("HDEL", thread, "mv", "mv_ns", "mv_id")
  return at
end

-- Moves a thread to deadline `at` (0 for none) from its current one: at once when it is small,
-- else, if `stepping` (the caller's saver steps through moves), by starting a move in steps.
-- Returns the deadline in force now, and whether a move in steps was started (nil: the thread is
-- big and the caller cannot step; nothing changed).
local function move_to(base, at, current, stepping)
  local rcall = redis.call
  local size = 0
  for _, ns in ipairs(rcall("SMEMBERS", nss_key(base))) do
    size = size + rcall("ZCARD", ckpts_key(base, ns)) + rcall("SCARD", wids_key(base, ns))
    if size > TTL_INLINE then break end
  end
  if size <= TTL_INLINE then
    move_body(base, at, nil, "", -1)
    return finish_move(base, at), false
  end
  if not stepping then return current, nil end
  local thread = thread_key(base)
  rcall("HSET", thread, "mv", string.format("%.0f", at), "mv_ns", "", "mv_id", "")
  if later(at, current) then return current, true end
  -- An earlier deadline: the spine first, the body then follows (it is never earlier than the spine).
  for _, key in ipairs(spine_keys(base)) do set_deadline(key, at) end
  if at == 0 then rcall("HDEL", thread, "expires") else rcall("HSET", thread, "expires", string.format("%.0f", at)) end
  return at, true
end

-- Applies the thread's TTL after a script changed (or, with refresh, read) it. `created` lists the
-- keys the script created or re-created. `push`: "force" pushes the deadline whatever is left,
-- "due" pushes it when less than 90% of the TTL is left, "no" only dates the created keys (for
-- scripts whose callers do not pass the new deadline on to the owner's listing, nor step through
-- a move: a thread that has no deadline yet or must lose it moves only when small). `state` is
-- the thread record's TTL fields (ttl_state), read here when not given.
-- Returns the deadline in ms (0 when the thread does not expire), and whether a move in steps is
-- under way (the saver then runs ttl-move-1.lua until it is done).
local function apply_ttl(base, default_ttl, created, push, state)
  state = state or ttl_state(base)
  local ttl = tonumber(state.own or default_ttl) or 0
  if not state.exists then
    -- Keys of a thread without a record yet (writes before any checkpoint) still expire.
    if ttl > 0 then
      local at = now_ms() + ttl
      for _, key in ipairs(created) do set_deadline(key, at) end
    end
    return 0, false
  end
  local current = tonumber(state.expires or "0")
  -- A field HMGET did not find is false, not nil.
  local moving = state.mv and tonumber(state.mv) or nil
  local target = nil
  if ttl <= 0 then
    if current ~= 0 and moving ~= 0 then target = 0 end
  else
    local now = now_ms()
    local aim = moving or current
    if push == "force" or aim == 0 or (push == "due" and aim - now < ttl * 0.9) then target = now + ttl end
  end
  local pending = moving ~= nil
  if target then
    local started
    current, started = move_to(base, target, current, push ~= "no")
    if started ~= nil then
      pending = started
      moving = started and target or nil
    end
  end
  -- Created keys get the later of the deadline in force and the one being moved to.
  local at = current
  if moving and later(moving, current) then at = moving end
  if at ~= 0 then for _, key in ipairs(created) do set_deadline(key, at) end end
  return current, pending
end
