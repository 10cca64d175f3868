--[[
  readBranches: the branch tips (leaves) of a namespace with what a branch list shows.
  A leaf's name is that of its nearest named ancestor-or-self; a leaf is "through the head" when
  the head is on its path. Parent walks are memoised, so a call costs O(checkpoints) at worst and
  O(leaves) when nothing is named and the head is a tip. A leaf whose messages channel is a
  DeltaChannel (not stored there) is counted from its ancestors' writes: the walk of
  includes/delta-walk.lua, bounded per call (resume the frontier with delta-history-1.lua).

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  owner the caller acts for, or "" for no owner check
  ARGV[3]  blob field prefix of the messages channel (`<escaped channel>:`)
  ARGV[4]  the messages channel
  ARGV[5]  max checkpoints the walk visits in this call
  ARGV[6]  max bytes of values the walk returns in this call (about)

  Returns { head or false, { leafId, name or false, ts, message count (or, when the count was
  not recorded, the messages blob; -1 when the messages are rebuilt from ancestors), through
  (0/1), parent or false, ... }, facts, frontier, validator }, or NOT_OWNER (facts, frontier and
  validator as in includes/delta-walk.lua).
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "head"
--- @include "pick-blob"
--- @include "delta-walk"
--- @include "blobs"
local rcall = redis.call
local base, ns, prefix, channel = KEYS[1], ARGV[1], ARGV[3], ARGV[4]
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

local w = { base = base, ns = ns, max_nodes = tonumber(ARGV[5]), max_bytes = tonumber(ARGV[6]), channels = { channel }, known = {}, lenient = {}, queue = {} }
local leaf_rows = {}
for _, leaf in ipairs(leaves) do
  local node = rcall("HMGET", ckpt_key(base, ns, leaf), "ts", "blobs", "lens", "delta", "parent", "fmt")
  local field = pick_blob(node[2], prefix)
  local count = 0
  if field then
    local ok, lens = pcall(cjson.decode, node[3] or "")
    if ok and type(lens) == "table" and type(lens[channel]) == "number" then
      count = lens[channel]
    else
      count = read_blob(base, ns, field, "checkpoint " .. leaf .. " channel value")
      if not count and node[6] then missing("checkpoint " .. leaf .. " names channel value " .. field .. ", which is not stored") end
      count = count or 0
    end
  elseif node[4] then
    for _, name in ipairs(cjson.decode(node[4])) do
      if name == channel then
        count = -1
        if node[5] then w.queue[#w.queue + 1] = { node[5], leaf, { 1 } } end
      end
    end
  end
  local name, through = false, leaf == head
  if named or not head_is_leaf then name, through = walk(leaf) end
  leaf_rows[#leaf_rows + 1] = leaf
  leaf_rows[#leaf_rows + 1] = name
  leaf_rows[#leaf_rows + 1] = node[1] or ""
  leaf_rows[#leaf_rows + 1] = count
  leaf_rows[#leaf_rows + 1] = through and 1 or 0
  leaf_rows[#leaf_rows + 1] = node[5] or false
end
local facts, frontier = delta_walk(w)
return { head, leaf_rows, facts, frontier, thread_validator(base) }
