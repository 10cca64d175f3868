--[[
  countConversations: one step of counting the conversations that are in every filter index, for
  the total of a listing whose smallest filter index is too big to count in one short script
  (list-conversations-1.lua answers -1 then). Steps through one index in thread id order (its
  scores are all 0: ZRANGE BYLEX), so each member is met once, and counts each step's members
  that are in the other indexes. The scratch key `P:{u:U}:tmp` is created and removed here.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  the index stepped through (its place in the filter list), or "" to pick the smallest
  ARGV[2]  the last thread id counted, or "" to start
  ARGV[3]  members per step
  ARGV[4]  the generations the count started at (list-conversations-1.lua)
  ARGV[5]  how many the steps before this one counted
  ARGV[6]  agent id to filter on, or ""
  ARGV[7]  status to filter on, or ""
  ARGV[8]  C, the number of customData index suffixes
  ARGV[9 .. 8+C]  customData index suffixes
  ARGV[9+C .. ]   tags

  The last step keeps the total with the generations the count started at (includes/
  user-filters.lua): if anything changed meanwhile, those have moved and the next listing counts
  again.

  Returns { how many of this step's members are in every index, the index stepped through, the
  last thread id of this step or "" when the index has no more }.
]]
--- @include "keys"
--- @include "user-filters"
local rcall = redis.call
local keys = filter_keys(ARGV, KEYS[1], ARGV[6], ARGV[7], 8)
local pivot = tonumber(ARGV[1])
if not pivot then
  local smallest = math.huge
  for i, key in ipairs(keys) do
    local n = rcall("ZCARD", key)
    if n < smallest then pivot, smallest = i, n end
  end
end
-- The step's members go to a scratch key (ZRANGESTORE) and are counted against the other
-- indexes there (ZINTERCARD): both native, so a step costs no Lua value per member.
local tmp = user_tmp_key(KEYS[1])
local n = rcall("ZRANGESTORE", tmp, keys[pivot], ARGV[2] == "" and "-" or ("(" .. ARGV[2]), "+", "BYLEX", "LIMIT", 0, tonumber(ARGV[3]))
if n == 0 then
  keep_total(KEYS[1], total_field(keys), ARGV[4], tonumber(ARGV[5]))
  return { 0, pivot, "" }
end
local others = { tmp }
for j, key in ipairs(keys) do
  if j ~= pivot then others[#others + 1] = key end
end
local count = rcall("ZINTERCARD", #others, unpack(others))
local last = rcall("ZRANGE", tmp, -1, -1)[1]
rcall("DEL", tmp)
if n < tonumber(ARGV[3]) then
  keep_total(KEYS[1], total_field(keys), ARGV[4], tonumber(ARGV[5]) + count)
  return { count, pivot, "" }
end
return { count, pivot, last }
