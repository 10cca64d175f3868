--[[
  readTree: every checkpoint of a namespace as a tree node with its number of messages, and the
  messages themselves only where a tree needs them: at the branch tips, at the head, and at
  checkpoints whose message count was not recorded. A tree of 300 checkpoints and one branch
  deserialises one list of messages, not 300. Where the messages channel is a DeltaChannel (not
  stored at the tip), the tip's messages are rebuilt from its ancestors' writes: the walk of
  includes/delta-walk.lua, bounded per call (resume the frontier with delta-history-1.lua).

  KEYS[1]  thread base `P:{T}`

  ARGV[1]  checkpoint namespace
  ARGV[2]  owner the caller acts for, or "" for no owner check
  ARGV[3]  blob field prefix of the messages channel (`<escaped channel>:`)
  ARGV[4]  the messages channel
  ARGV[5]  max checkpoints the walk visits in this call
  ARGV[6]  max bytes of values the walk returns in this call (about)
  ARGV[7]  cursor: only checkpoints after this id ("" from the first)
  ARGV[8]  ROWS: checkpoints one call reads at most. A namespace of more is read in several
           calls, so that none holds Redis long; only the last one (it reaches the newest id)
           returns the head, the names and the walk, for every tip and the head, wherever they
           were read

  Returns { head or false, { checkpointId, name, ... }, { id, parent or false, ts, messages blob
  field or false, message count (-1 = not recorded), how the messages are known (0: stored or
  none, 1: rebuilt from ancestors, 2: rebuilt, and walked from here: a tip or the head), ... },
  { blob field, value, ... }, owner or false, facts, frontier, validator, the cursor to go on
  from or false after the last call, { ids read by earlier calls that the walk starts from } },
  or NOT_OWNER (facts, frontier and validator as in includes/delta-walk.lua).
]]
--- @include "keys"
--- @include "codes"
--- @include "owner"
--- @include "head"
--- @include "pick-blob"
--- @include "blobs"
--- @include "delta-walk"
local rcall = redis.call
local base, ns, prefix, channel = KEYS[1], ARGV[1], ARGV[3], ARGV[4]
if owner_mismatch(base, ARGV[2]) then return NOT_OWNER end
local head = head_of(base, ns)
local wanted = {}
for _, leaf in ipairs(rcall("SMEMBERS", leaves_key(base, ns))) do wanted[leaf] = true end
if head then wanted[head] = true end

local w = { base = base, ns = ns, max_nodes = tonumber(ARGV[5]), max_bytes = tonumber(ARGV[6]), channels = { channel }, known = {}, lenient = {}, queue = {} }
local cursor, rows = ARGV[7], tonumber(ARGV[8])
local ids = rcall("ZRANGEBYLEX", ckpts_key(base, ns), cursor == "" and "-" or ("(" .. cursor), "+", "LIMIT", 0, rows + 1)
local more = #ids > rows
if more then ids[#ids] = nil end
local final = not more
local here = {}
local nodes, fields, seen, strict = {}, {}, {}, {}
for _, id in ipairs(ids) do
  here[id] = true
  local node = rcall("HMGET", ckpt_key(base, ns, id), "parent", "ts", "blobs", "lens", "delta", "fmt")
  -- Every stored checkpoint has a `blobs` field: without it, the node is gone.
  if not node[3] then lost_checkpoint(ns, id) end
  local field = pick_blob(node[3], prefix)
  local count = 0
  local rebuilt = 0
  if field then
    count = -1
    if node[4] then
      local ok, lens = pcall(cjson.decode, node[4])
      if ok and type(lens) == "table" and type(lens[channel]) == "number" then count = lens[channel] end
    end
  elseif node[5] then
    for _, name in ipairs(cjson.decode(node[5])) do
      if name == channel then rebuilt, count = 1, -1 end
    end
  end
  nodes[#nodes + 1] = id
  nodes[#nodes + 1] = node[1]
  nodes[#nodes + 1] = node[2] or ""
  nodes[#nodes + 1] = field
  nodes[#nodes + 1] = count
  nodes[#nodes + 1] = rebuilt
  -- The tips' and the head's messages are fetched by the last call alone (below), wherever
  -- their rows were read: once each.
  if field and ((final and wanted[id]) or count == -1) and not seen[field] then
    seen[field] = true
    fields[#fields + 1] = field
  end
  -- Only nodes of storage format 2 promise that their listed values are stored.
  if field and node[6] then strict[field] = true end
  if final and rebuilt == 1 and wanted[id] then
    nodes[#nodes] = 2
    if node[1] then w.queue[#w.queue + 1] = { node[1], id, { 1 } } end
  end
end

-- The last call of several: the tips and the head that earlier calls read need their messages
-- and walks too.
local walked_before = {}
if final and cursor ~= "" then
  for id in pairs(wanted) do
    if not here[id] then
      local node = rcall("HMGET", ckpt_key(base, ns, id), "parent", "blobs", "delta", "fmt")
      if node[2] then
        local field = pick_blob(node[2], prefix)
        if field and not seen[field] then
          seen[field] = true
          fields[#fields + 1] = field
        end
        if field and node[4] then strict[field] = true end
        if not field and node[3] then
          for _, name in ipairs(cjson.decode(node[3])) do
            if name == channel and node[1] then
              w.queue[#w.queue + 1] = { node[1], id, { 1 } }
              walked_before[#walked_before + 1] = id
            end
          end
        end
      end
    end
  end
end

local blobs = read_blobs(base, ns, fields, "messages value")
local found = {}
for i = 1, #blobs, 2 do found[blobs[i]] = true end
for _, field in ipairs(fields) do
  if strict[field] and not found[field] then missing("a checkpoint of namespace \"" .. ns .. "\" names messages value " .. field .. ", which is not stored") end
end
local owner = rcall("HGET", thread_key(base), "owner")
if not final then return { false, {}, nodes, blobs, owner, {}, {}, thread_validator(base), ids[#ids], {} } end
local facts, frontier = delta_walk(w)
return { head, rcall("HGETALL", names_key(base, ns)), nodes, blobs, owner, facts, frontier, thread_validator(base), false, walked_before }
