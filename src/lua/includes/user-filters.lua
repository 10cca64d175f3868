--- @include "user-keys"
-- The filter indexes a listing intersects: the agent's, the status's, one per customData entry and
-- one per tag. `at` is where argv (the script's ARGV, passed in) holds C, the number of customData
-- suffixes, followed by them and then by the tags (list-conversations-1.lua, count-conversations-1.lua).
local function filter_keys(argv, ubase, agent, status, at)
  local keys = {}
  if agent ~= "" then keys[#keys + 1] = user_agent_key(ubase, agent) end
  if status ~= "" then keys[#keys + 1] = user_status_set_key(ubase, status) end
  local c = tonumber(argv[at])
  for i = at + 1, at + c do keys[#keys + 1] = user_custom_key(ubase, argv[i]) end
  for i = at + c + 1, #argv do keys[#keys + 1] = user_tag_key(ubase, argv[i]) end
  return keys
end

-- A total counted in one script up to this size of the smallest filter index: Redis counts an
-- intersection at about 0.5 to 1 µs per member of the smallest index and per other index (memory
-- latency on large indexes), so some 2 to 4 ms. Beyond it, the caller counts in steps
-- (count-conversations-1.lua).
local COUNT_INLINE = 2000

-- Totals counted in steps are kept per filter combination (`totals` hash, field: a hash of the
-- filter indexes' names) with the generations they were counted at (includes/user-keys.lua), and
-- reused while those have not moved: the next page of the same listing costs no count. The hash
-- holds at most this many combinations, and starts over beyond.
local MAX_TOTALS = 1000

local function total_field(keys)
  return redis.sha1hex(table.concat(keys, "\n"))
end

-- The generations a total of these filters depends on: the status indexes' only with a status.
local function total_generations(ubase, with_status)
  local g = redis.call("HMGET", user_gen_key(ubase), "m", "s")
  return (g[1] or "0") .. ":" .. (with_status and (g[2] or "0") or "-")
end

-- The kept total of these filters, if it was counted at these generations.
local function kept_total(ubase, field, generations)
  local kept = redis.call("HGET", user_totals_key(ubase), field)
  local at, total = string.match(kept or "", "^(.*):(%d+)$")
  if at == generations then return tonumber(total) end
  return nil
end

local function keep_total(ubase, field, generations, total)
  local key = user_totals_key(ubase)
  if redis.call("HLEN", key) >= MAX_TOTALS then redis.call("DEL", key) end
  redis.call("HSET", key, field, generations .. ":" .. total)
end
