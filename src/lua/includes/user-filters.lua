--- @include "user-keys"
-- The filter indexes a listing intersects: the agent's, the status's, one per customData entry and
-- one per tag. `at` is where ARGV holds C, the number of customData suffixes, followed by them and
-- then by the tags (list-conversations-1.lua, count-conversations-1.lua).
local function filter_keys(ubase, agent, status, at)
  local keys = {}
  if agent ~= "" then keys[#keys + 1] = user_agent_key(ubase, agent) end
  if status ~= "" then keys[#keys + 1] = user_status_set_key(ubase, status) end
  local c = tonumber(ARGV[at])
  for i = at + 1, at + c do keys[#keys + 1] = user_custom_key(ubase, ARGV[i]) end
  for i = at + c + 1, #ARGV do keys[#keys + 1] = user_tag_key(ubase, ARGV[i]) end
  return keys
end

-- A total counted in one script up to this size of the smallest filter index: Redis counts an
-- intersection at about 0.5 to 1 µs per member of the smallest index and per other index (memory
-- latency on large indexes), so some 2 to 4 ms. Beyond it, the caller counts in steps
-- (count-conversations-1.lua).
local COUNT_INLINE = 2000
