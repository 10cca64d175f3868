--[[
  readBranches: the branch tips (leaves) of a namespace with what a branch list shows.
  A leaf's name is that of its nearest named ancestor-or-self; a leaf is "through the head" when
  the head is on its path. Parent walks are memoised, so a call costs O(checkpoints) at worst and
  O(leaves) when nothing is named and the head is a tip.

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  owner the caller acts for, or "" for no owner check
  ARGV[3]  blob field prefix of the messages channel (`<escaped channel>:`)
  ARGV[4]  the messages channel

  Returns { head or false, leafId, name or false, ts, message count (or, when the count was not
  recorded, the messages blob), through (0/1), ... }, or NOT_OWNER.
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "head"
--- @include "pick-blob"
local rcall = redis.call
local base, ns, prefix = KEYS[1], ARGV[1], ARGV[3]
if owner_mismatch(base, ARGV[2]) then return NOT_OWNER end
local head = head_of(base, ns)
local leaves = rcall("SMEMBERS", leaves_key(base, ns))

local names, named = {}, false
local flat = rcall("HGETALL", names_key(base, ns))
for i = 1, #flat, 2 do
  names[flat[i]] = flat[i + 1]
  named = true
end
local head_is_leaf = false
for _, leaf in ipairs(leaves) do if leaf == head then head_is_leaf = true end end

local memo_name, memo_through = {}, {}
local function walk(id)
  local path, cur = {}, id
  local name, through = false, false
  while cur do
    if memo_name[cur] ~= nil then
      name, through = memo_name[cur], memo_through[cur]
      break
    end
    path[#path + 1] = cur
    cur = rcall("HGET", ckpt_key(base, ns, cur), "parent")
  end
  for i = #path, 1, -1 do
    local p = path[i]
    if names[p] then name = names[p] end
    if p == head then through = true end
    memo_name[p], memo_through[p] = name, through
  end
  return memo_name[id], memo_through[id]
end

local out = { head }
local bkey = blobs_key(base, ns)
for _, leaf in ipairs(leaves) do
  local node = rcall("HMGET", ckpt_key(base, ns, leaf), "ts", "blobs", "lens")
  local field = pick_blob(node[2], prefix)
  local count = 0
  if field then
    local ok, lens = pcall(cjson.decode, node[3] or "")
    if ok and type(lens) == "table" and type(lens[ARGV[4]]) == "number" then
      count = lens[ARGV[4]]
    else
      count = rcall("HGET", bkey, field) or 0
    end
  end
  local name, through = false, leaf == head
  if named or not head_is_leaf then name, through = walk(leaf) end
  out[#out + 1] = leaf
  out[#out + 1] = name
  out[#out + 1] = node[1] or ""
  out[#out + 1] = count
  out[#out + 1] = through and 1 or 0
end
return out
