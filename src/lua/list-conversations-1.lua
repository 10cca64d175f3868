--[[
  listConversations: one page of a user's conversations by activity or by creation, with the
  total, in one round trip. Tag, agent, status and customData filters are the user's indexes of
  them (sorted sets with scores 0, all in the user's slot; includes/user-keys.lua):
  - the page walks the listing in activity order and keeps the conversations that are in every
    filter index (ZMSCORE per batch), so a page of a common tag costs about a page, however many
    conversations the user has. A call walks at most WALK conversations: when that finds too few
    (a rare combination, a deep offset) it returns what it found and where it stopped, and the
    caller goes on from there, so that no call holds Redis long;
  - when a filter index is small, the page comes from intersecting the listing with the indexes
    instead (ZINTERSTORE into a key of the user's slot that the script removes), which costs about
    the small index;
  - the total is the size of the one index, or of the indexes' intersection (ZINTERCARD), which
    Redis counts in time proportional to the smallest index: up to COUNT_INLINE members here,
    beyond that the caller counts in steps (count-conversations-1.lua) and this script answers -1.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  "desc" (newest activity first) or "asc"
  ARGV[2]  cursor: the activity score of the last conversation of the previous page, or ""
  ARGV[3]  offset (after the cursor): the page walks past it, so callers cap it (schemas.ts)
  ARGV[4]  how many to return at most
  ARGV[5]  agent id to filter on, or ""
  ARGV[6]  WALK: conversations one call walks at most
  ARGV[7]  "1" to count the total, "" not to (a call that goes on from where another stopped)
  ARGV[8]  "updated" (order by last activity) or "created" (by creation)
  ARGV[9]  status to filter on ("idle", "busy", "interrupted", "error"), or ""
  ARGV[10] C, the number of customData index suffixes to filter on (includes/user-keys.lua)
  ARGV[11 .. 10+C]  customData index suffixes
  ARGV[11+C .. ]    tags the conversations must all have

  Conversations whose thread has expired are removed from the indexes first (up to 100 a call;
  any left over are skipped on the page), and so are the leases of runs that died (up to 100).

  Returns { total (0 when not counted, -1 when left to count in steps), 1 if there is a next page
  else 0, the score to continue after ("" for none), 1 when the walk stopped early else 0, how many
  of the offset this call skipped, the generations to count the total at (with -1, else ""), then
  six per conversation: threadId, record, activity score, order score, status,
  pending interrupts (JSON array) }. After an early stop, the
  caller goes on after that score, with the offset less what was skipped and the page less what
  came. A page may hold fewer than ARGV[4] conversations when some turned out expired or left
  over; the continuation score still moves past them.
]]
--- @include "keys"
--- @include "user-keys"
--- @include "ttl"
--- @include "unindex"
--- @include "user-status"
--- @include "user-filters"
local rcall = redis.call
local ubase = KEYS[1]
local now = now_ms()
sweep_expired(ubase, now, 100)
sweep_leases(ubase, now, 100)
local desc = ARGV[1] == "desc"
local cursor, offset, count = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
-- One more than the page, to know whether there is a next page.
local need = offset + count + 1
local walk_limit = tonumber(ARGV[6])
local counted = ARGV[7] == "1"

-- Up to `limit` { id, score, id, score, ... } of `key` after `from`, in listing order.
local function range(key, from, limit)
  if desc then
    return rcall("ZREVRANGEBYSCORE", key, from == "" and "+inf" or ("(" .. from), "-inf", "WITHSCORES", "LIMIT", 0, limit)
  end
  return rcall("ZRANGEBYSCORE", key, from == "" and "-inf" or ("(" .. from), "+inf", "WITHSCORES", "LIMIT", 0, limit)
end

local by_creation = ARGV[8] == "created"
local listing = by_creation and user_created_key(ubase) or user_convs_key(ubase)
local filters = filter_keys(ARGV, ubase, ARGV[5], ARGV[9], 10)

local total, matched = 0, nil
-- The generations a total left to count in steps is counted at, else "".
local pending = ""
-- The score the walk stopped at when its share of the call ran out, else false.
local stopped = false
if #filters == 0 then
  if counted then total = rcall("ZCARD", listing) end
  matched = range(listing, cursor, need)
else
  local smallest = math.huge
  for _, key in ipairs(filters) do smallest = math.min(smallest, rcall("ZCARD", key)) end
  if counted and #filters == 1 then
    total = smallest
  elseif counted and smallest <= COUNT_INLINE then
    total = rcall("ZINTERCARD", #filters, unpack(filters))
  elseif counted then
    -- ZINTERCARD walks the smallest index: beyond COUNT_INLINE members the caller counts in steps,
    -- unless a total counted at the indexes' current generations is kept.
    pending = total_generations(ubase, ARGV[9] ~= "")
    total = kept_total(ubase, total_field(filters), pending)
    if total then pending = "" else total = -1 end
  end

  matched = {}
  if smallest > 4 * need + 64 then
    local from, walked = cursor, 0
    local batch = math.min(1000, math.max(128, 2 * need))
    while #matched < 2 * need do
      if walked >= walk_limit then
        stopped = from
        break
      end
      local take = math.min(batch, walk_limit - walked)
      local page = range(listing, from, take)
      local ids = {}
      for i = 1, #page, 2 do ids[#ids + 1] = page[i] end
      if #ids == 0 then break end
      local keep = {}
      for i = 1, #ids do keep[i] = true end
      for _, key in ipairs(filters) do
        local member = rcall("ZMSCORE", key, unpack(ids))
        for i = 1, #ids do if not member[i] then keep[i] = false end end
      end
      for i = 1, #ids do
        if keep[i] then
          matched[#matched + 1] = page[2 * i - 1]
          matched[#matched + 1] = page[2 * i]
        end
      end
      walked = walked + #ids
      from = page[#page]
      if #ids < take then break end
    end
  else
    -- Weight 0 for the indexes: the intersection keeps the listing's scores.
    local tmp = user_tmp_key(ubase)
    local args = { tmp, #filters + 1, listing }
    for _, key in ipairs(filters) do args[#args + 1] = key end
    args[#args + 1] = "WEIGHTS"
    args[#args + 1] = 1
    for _ = 1, #filters do args[#args + 1] = 0 end
    rcall("ZINTERSTORE", unpack(args))
    matched = range(tmp, cursor, need)
    rcall("DEL", tmp)
  end
end

local ids, scores = {}, {}
for i = 2 * offset + 1, math.min(#matched, 2 * (need - 1)), 2 do
  ids[#ids + 1] = matched[i]
  scores[#scores + 1] = matched[i + 1]
end
local more = #matched >= 2 * need and 1 or 0
local skipped = math.min(offset, #matched / 2)
local out = { total, more, stopped or scores[#scores] or "", stopped and 1 or 0, skipped, pending }
if #ids == 0 then return out end
-- Everything a row shows, a few commands for the whole page (ZMSCORE: Redis 6.2).
local records = rcall("HMGET", user_meta_key(ubase), unpack(ids))
local deadlines = rcall("ZMSCORE", user_expiry_key(ubase), unpack(ids))
local activity = by_creation and rcall("ZMSCORE", user_convs_key(ubase), unpack(ids)) or scores
local statuses = statuses_of(ubase, ids, now)
local interrupts = rcall("HMGET", user_intr_key(ubase), unpack(ids))
for i, id in ipairs(ids) do
  if deadlines[i] and tonumber(deadlines[i]) <= now then
    -- expired, beyond what the sweep above removed: not shown
  elseif records[i] then
    out[#out + 1] = id
    out[#out + 1] = records[i]
    out[#out + 1] = activity[i] or scores[i]
    out[#out + 1] = scores[i]
    out[#out + 1] = statuses[i]
    out[#out + 1] = interrupts[i] or "[]"
  else
    -- A listing entry without a record is left over from an interrupted delete: clean it.
    rcall("ZREM", user_convs_key(ubase), id)
    forget_status(ubase, id)
  end
end
return out
