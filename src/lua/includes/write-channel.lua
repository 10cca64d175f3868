-- The channel of a stored pending write: the third part of its packed value (packWrite in
-- src/scripts/replies.ts: `[u32 length][bytes]` for task id, index, channel, task path, type, bytes).
local function write_channel(packed)
  local pos = 1
  for _ = 1, 2 do pos = pos + 4 + struct.unpack(">I4", packed, pos) end
  local len = struct.unpack(">I4", packed, pos)
  return string.sub(packed, pos + 4, pos + 3 + len)
end
