-- HMGET of many fields, 1,000 at a time (Lua's unpack has a limit), as a flat
-- { field, value, field, value, ... } of the fields that exist.
local function hmget_pairs(key, fields)
  local out = {}
  for i = 1, #fields, 1000 do
    local chunk = { unpack(fields, i, math.min(i + 999, #fields)) }
    local values = redis.call("HMGET", key, unpack(chunk))
    for j = 1, #chunk do
      if values[j] then
        out[#out + 1] = chunk[j]
        out[#out + 1] = values[j]
      end
    end
  end
  return out
end
