--[[
  listConversations: one page of a user's conversations by activity, with the total, in one round
  trip. Tag and agent filters intersect the listing with the user's tag and agent sets (all in
  the user's slot) inside the script, through a temporary key the script also removes.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  "desc" (newest activity first) or "asc"
  ARGV[2]  cursor: the activity score of the last conversation of the previous page, or ""
  ARGV[3]  offset (after the cursor)
  ARGV[4]  how many to return at most
  ARGV[5]  agent id to filter on, or ""
  ARGV[6 .. ]  tags the conversations must all have

  Returns { total, threadId, record, score, threadId, record, score, ... }.
]]
--- @include "keys"
local rcall = redis.call
local ubase = KEYS[1]
local desc = ARGV[1] == "desc"
local cursor, offset, count = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])

local source = user_convs_key(ubase)
local sets = {}
if ARGV[5] ~= "" then sets[#sets + 1] = user_agent_key(ubase, ARGV[5]) end
for i = 6, #ARGV do sets[#sets + 1] = user_tag_key(ubase, ARGV[i]) end
if #sets > 0 then
  -- Weight 0 for the sets: the intersection keeps the listing's activity scores.
  local args = { user_tmp_key(ubase), #sets + 1, source }
  for _, key in ipairs(sets) do args[#args + 1] = key end
  args[#args + 1] = "WEIGHTS"
  args[#args + 1] = 1
  for _ = 1, #sets do args[#args + 1] = 0 end
  rcall("ZINTERSTORE", unpack(args))
  source = user_tmp_key(ubase)
end

local total = rcall("ZCARD", source)
local page
if desc then
  page = rcall("ZREVRANGEBYSCORE", source, cursor == "" and "+inf" or ("(" .. cursor), "-inf", "WITHSCORES", "LIMIT", offset, count)
else
  page = rcall("ZRANGEBYSCORE", source, cursor == "" and "-inf" or ("(" .. cursor), "+inf", "WITHSCORES", "LIMIT", offset, count)
end
if #sets > 0 then rcall("DEL", source) end

local out = { total }
if #page == 0 then return out end
local ids = {}
for i = 1, #page, 2 do ids[#ids + 1] = page[i] end
local records = rcall("HMGET", user_meta_key(ubase), unpack(ids))
for i, id in ipairs(ids) do
  if records[i] then
    out[#out + 1] = id
    out[#out + 1] = records[i]
    out[#out + 1] = page[2 * i]
  else
    -- A listing entry without a record is left over from an interrupted delete: clean it.
    rcall("ZREM", user_convs_key(ubase), id)
  end
end
return out
