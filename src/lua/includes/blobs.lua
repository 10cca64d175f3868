--- @include "hmget-pairs"
--- @include "lists"
-- Channel values (the blobs hash of a namespace), read and dropped through here by every script,
-- so that a list stored element by element (includes/lists.lua) reads back byte for byte as the
-- whole value the saver's serde would have written, and is released when its blob goes.

-- A stored blob value as scripts return it: a packed serde value, or the array of a list's node id
-- and elements (includes/lists.lua list_value), or of the node id alone when it is one of `known`
-- (a set of node ids, or nil): the caller holds that list's elements; and its size in bytes.
-- `what` names it in an error; `reply` as list_value takes it.
local function blob_value(base, ns, value, what, known, reply)
  if is_list_blob(value) then
    local id = string.sub(value, 2)
    return list_value(items_key(base, ns), id, what, known ~= nil and known[id] == true, reply)
  end
  return value, #value
end

-- hmget_pairs over the blobs hash: { field, value, ... } of the fields that exist; lists as
-- blob_value returns them. With `acc` (a reply's context, see list_value), list items sent earlier
-- in the reply are sent as their index, and acc.bytes adds the bytes of the values.
local function read_blobs(base, ns, fields, what, known, acc)
  local found = hmget_pairs(blobs_key(base, ns), fields)
  for i = 2, #found, 2 do
    local bytes
    if is_list_blob(found[i]) then
      found[i], bytes = blob_value(base, ns, found[i], what .. " " .. found[i - 1], known, acc)
    else
      bytes = #found[i]
    end
    if acc then acc.bytes = acc.bytes + bytes end
  end
  return found
end

-- One blob field's value (as blob_value) and its size, or false.
local function read_blob(base, ns, field, what)
  local value = redis.call("HGET", blobs_key(base, ns), field)
  if not value then return false, 0 end
  return blob_value(base, ns, value, what .. " " .. field)
end

-- Removes blob fields, releasing the list nodes they name.
local function drop_blobs(base, ns, fields)
  local bkey, ikey = blobs_key(base, ns), items_key(base, ns)
  for i = 1, #fields, 1000 do
    local chunk = { unpack(fields, i, math.min(i + 999, #fields)) }
    for _, value in ipairs(redis.call("HMGET", bkey, unpack(chunk))) do
      if is_list_blob(value) then release_node(ikey, string.sub(value, 2)) end
    end
    redis.call("HDEL", bkey, unpack(chunk))
  end
end
