-- The blob field a checkpoint reads for one channel: the entry of its `blobs` list (JSON) that
-- starts with `prefix` (`<escaped channel>:`), or false.
local function pick_blob(blobs_json, prefix)
  if not blobs_json or blobs_json == "[]" then return false end
  for _, field in ipairs(cjson.decode(blobs_json)) do
    if string.sub(field, 1, #prefix) == prefix then return field end
  end
  return false
end
