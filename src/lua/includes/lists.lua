--- @include "missing"
-- Lists stored element by element (the messages channel, and any list-valued channel).
--
-- LangGraph writes a list channel whole at every step, so storing each version whole grows with
-- the square of a conversation. Here a list version is a node of a tree of lists: the node names
-- the node of a shorter list it extends and the elements it adds, and each element is stored once
-- per namespace, by a hash of its serialised bytes (its ref). Branches share their common start,
-- and a thread's memory grows with the number of distinct elements.
--
-- All of it lives in one hash per namespace, `items` (includes/keys.lua):
--   e<ref>  the element's bytes (its JSON, as the saver's JSON serde wrote it inside the list)
--   c<ref>  how many node ref lists name the element
--   n<id>   a node: "<depth>:<length>:<parent id>:<segment id>:" and then the fields
--           ("e" .. ref) of the elements after the parent's list, oldest first; or, for a chain
--           node (depth > 0), "<depth>:<length>:<parent id>:<segment id>:<own>:" and then the
--           fields of every element after its segment's list, the last <own> of them its own
--           (a cumulative node: a read takes its chain in one lookup; nodes written before this
--           format have no <own> and name only their own elements, and are read as before)
--   r<id>   how many blobs and child nodes name the node
--   f<id>   for a node of depth 0, the bytes of the elements it names joined by ",": reads take
--           them in one piece instead of one lookup per element (Lua is slow at many small values)
-- A blob of a list version (blobs hash) is LIST_MARK followed by the node id: a packed serde
-- value starts with a zero byte (the high byte of its type's length), so the two never mix.
--
-- Reads follow parent links. To keep that short, a node extends its parent by one link (`depth`
-- one more) only up to RUN links; the next one is a segment node (depth 0) whose parent is the
-- last segment and whose refs are all elements since. A chain node names every element since its
-- segment, so a read takes one chain node, then one node and its joined bytes per segment.
-- Reference counts (`c`, `r`) count only what a node adds: the names it repeats from its chain
-- are kept alive by its reference to its parent. An element is named by at most RUN chain nodes
-- and one segment node, and held in at most one segment's joined bytes besides its own field, so
-- memory stays linear. Ids and refs are hashes of what they name (sha1, REF_LEN hex chars); an id that
-- is already stored with other content is a collision, refused loudly, never merged.
local LIST_MARK = 1
local REF_LEN = 20
-- A node names each element by its field, "e" .. ref: reads pass them to HMGET as they are.
local REF_STEP = REF_LEN + 1
local RUN = 16

-- A node's parts; its element fields run from byte `at` of `value` to the end, REF_STEP each, its
-- own from byte `own_at` (the same for all but a cumulative chain node).
local function parse_node(value)
  local depth, len, parent, seg, own, at = string.match(value, "^(%d+):(%d+):(%x*):(%x*):(%d+):()")
  if not depth then
    depth, len, parent, seg, at = string.match(value, "^(%d+):(%d+):(%x*):(%x*):()")
    if not depth then missing("a list node is not in this library's format") end
    return { depth = tonumber(depth), len = tonumber(len), parent = parent, seg = seg, value = value, at = at, own_at = at, cumulative = false }
  end
  return { depth = tonumber(depth), len = tonumber(len), parent = parent, seg = seg, value = value, at = at, own_at = #value + 1 - tonumber(own) * REF_STEP, cumulative = true }
end

-- The element fields a node adds to its parent's list, as one string.
local function node_fields(node)
  return string.sub(node.value, node.own_at)
end

local function get_node(ikey, id, what)
  local value = redis.call("HGET", ikey, "n" .. id)
  if not value then missing(what .. " names list node " .. id .. ", which is not stored") end
  local node = parse_node(value)
  node.id = id
  return node
end

-- The fields of every element after the list of segment `node.seg`, up to and including those
-- of chain node `node`, as one string: read from a cumulative node, else (a node written before
-- cumulative nodes) gathered along its chain, at most RUN nodes.
local function since_segment(ikey, node)
  if node.depth == 0 then return "" end
  if node.cumulative then return string.sub(node.value, node.at) end
  local chain = { node_fields(node) }
  local at = node.parent
  while at ~= node.seg do
    local each = get_node(ikey, at, "a list chain")
    chain[#chain + 1] = node_fields(each)
    at = each.parent
  end
  local run = {}
  for i = #chain, 1, -1 do run[#run + 1] = chain[i] end
  return table.concat(run)
end

-- The nodes of the list of node `id`, oldest first, or nil (lenient) / an error naming `what`
-- when one of them is not stored.
local function list_nodes(ikey, id, what, lenient)
  local nodes = {}
  while id ~= "" do
    local value = redis.call("HGET", ikey, "n" .. id)
    if not value then
      if lenient then return nil end
      missing(what .. " names list node " .. id .. ", which is not stored")
    end
    local node = parse_node(value)
    node.id = id
    nodes[#nodes + 1] = node
    id = node.parent
  end
  local n = #nodes
  for i = 1, math.floor(n / 2) do nodes[i], nodes[n + 1 - i] = nodes[n + 1 - i], nodes[i] end
  return nodes
end

-- Appends one item of a list to `items`: the index of its copy earlier in the reply, else its
-- bytes (numbered for later ones when there is a reply context); returns `bytes` plus what it sent.
local function add_item(items, bytes, reply, sent, field, value)
  local earlier = sent and sent[field]
  if earlier then
    items[#items + 1] = earlier
    return bytes
  end
  items[#items + 1] = value
  if sent then
    reply.n = reply.n + 1
    sent[field] = reply.n
  end
  return bytes + #value
end

-- Segment node `id`, taken from `nodes` (the reply's, or nil) when read earlier in the reply: a
-- page of a conversation's checkpoints walks the same segments for each of them.
local function segment_node(ikey, id, what, nodes)
  if not nodes then return get_node(ikey, id, what) end
  local node = nodes[id]
  if not node then
    node = get_node(ikey, id, what)
    nodes[id] = node
  end
  return node
end

-- The list of node `id` as scripts return it: the node id, then its elements oldest first (an
-- element, or a segment's joined elements); and the elements' total size in bytes. The saver
-- joins the elements into the JSON of the whole list (replies.ts blobValue), byte for byte what
-- its JSON serde wrote for that list, and keeps the node id to name this list as the start of the
-- next version it puts (Threads.readTuple). Joining them here would cost the server more than the
-- whole read (Lua builds long strings by repeated copies).
-- With `held`, the caller holds the list's elements already (it named the node as known): the
-- reply is the node id alone, and the size 0. Ids are hashes of the lists they name, so the
-- caller's elements are exactly these; that every one of them is still stored is checked all the
-- same, as for a reply that carries them, without copying the segments' bytes (HSTRLEN).
-- With `reply` (a table the script keeps for one reply: { n = items sent, sent = { [ikey] =
-- { [field] = index } }, nodes = { [ikey] = { [id] = node } } }), an element or segment already
-- sent in this reply is sent as its index among the items sent (an integer, 1 for the first)
-- instead of its bytes, and is not read again (it was read and checked by this same call), nor
-- is a segment node: consecutive checkpoints of a conversation share all but their last
-- elements, so a page of them carries, and reads, each element once. reply.walked counts the
-- segments and elements the reply's lists name, sent or not (the work a page does for them).
local function list_value(ikey, id, what, held, reply)
  local items, bytes = { id }, 0
  local sent, nodes = reply and reply.sent[ikey], reply and reply.nodes[ikey]
  if reply and not sent then
    sent, nodes = {}, {}
    reply.sent[ikey], reply.nodes[ikey] = sent, nodes
  end
  -- The chain: the elements since the last segment, then the segments, newest first.
  local node = get_node(ikey, id, what)
  local names = since_segment(ikey, node)
  local joined, joined_fields = {}, {}
  id = node.depth == 0 and id or node.seg
  while id ~= "" do
    local segment = id == node.id and node or segment_node(ikey, id, what, nodes)
    local field = "f" .. id
    local value
    if sent and sent[field] then value = true
    elseif held then value = redis.call("HSTRLEN", ikey, field) > 0
    else value = redis.call("HGET", ikey, field) end
    if not value then missing(what .. " names list node " .. id .. ", whose elements are not stored") end
    joined[#joined + 1] = value
    joined_fields[#joined_fields + 1] = field
    id = segment.parent
  end
  if not held then
    for i = #joined, 1, -1 do bytes = add_item(items, bytes, reply, sent, joined_fields[i], joined[i]) end
  end
  local fields = {}
  for i = 1, #names, REF_STEP do fields[#fields + 1] = string.sub(names, i, i + REF_LEN) end
  -- Read (and check) the elements not sent yet in this reply; then add them all in order.
  local wanted = {}
  for _, f in ipairs(fields) do
    if not (sent and sent[f]) then wanted[#wanted + 1] = f end
  end
  local read = {}
  for i = 1, #wanted, 1000 do
    local values = redis.call("HMGET", ikey, unpack(wanted, i, math.min(i + 999, #wanted)))
    for k = 1, #values do
      local v = values[k]
      if not v then missing(what .. " names list element " .. string.sub(wanted[i + k - 1], 2) .. ", which is not stored") end
      read[wanted[i + k - 1]] = v
    end
  end
  if not held then
    for _, f in ipairs(fields) do bytes = add_item(items, bytes, reply, sent, f, read[f]) end
  end
  if reply then reply.walked = reply.walked + #joined + #fields end
  return items, bytes
end

-- A set of the node ids in `ids`, separated by commas; nil when there are none.
local function known_nodes(ids)
  if ids == "" then return nil end
  local set = {}
  for id in string.gmatch(ids, "[^,]+") do set[id] = true end
  return set
end

local function is_list_blob(value)
  return value and string.byte(value, 1) == LIST_MARK
end

-- Drops one reference to node `id`; a node nobody names any more goes, with its references to its
-- parent and its elements (an element nobody names goes too).
local function release_node(ikey, id)
  local rcall = redis.call
  while id ~= "" do
    if rcall("HINCRBY", ikey, "r" .. id, -1) > 0 then return end
    local value = rcall("HGET", ikey, "n" .. id)
    rcall("HDEL", ikey, "n" .. id, "r" .. id, "f" .. id)
    if not value then return end
    local node = parse_node(value)
    for i = node.own_at, #value, REF_STEP do
      local ref = string.sub(value, i + 1, i + REF_LEN)
      if rcall("HINCRBY", ikey, "c" .. ref, -1) <= 0 then rcall("HDEL", ikey, "e" .. ref, "c" .. ref) end
    end
    id = node.parent
  end
end

-- Splits `[u32 length][bytes]...` from byte `pos` on (codec.ts packParts).
local function unpack_parts(s, pos)
  local parts = {}
  while pos <= #s do
    local len = struct.unpack(">I4", s, pos)
    parts[#parts + 1] = string.sub(s, pos + 4, pos + 3 + len)
    pos = pos + 4 + len
  end
  return parts
end

-- The stored node to build a list on when its first `common` elements are those of node `head`
-- (common <= head.len): `head` itself when it is that whole list, else the segment node at or
-- before element `common` in head's chain (nil: none, the list starts afresh), and the fields of
-- head's elements from that node's end up to `common`, as one string. Reads one node per segment
-- it goes back (a list that drops or changes its last elements, as a regenerated answer or a
-- RemoveMessage does, goes back one at most), so that such a list names what the thread stores
-- already instead of storing it all again.
local function prefix_base(ikey, head, common)
  if common == head.len then return head, "" end
  local node = head
  while true do
    -- `node`'s fields after `before` (a chain node's segment, a segment node's previous segment),
    -- and `from`, the length of `before`'s list.
    local names = node.depth > 0 and since_segment(ikey, node) or node_fields(node)
    local from = node.len - #names / REF_STEP
    local before = node.depth > 0 and node.seg or node.parent
    if common >= from then
      return before ~= "" and get_node(ikey, before, "a list chain") or nil, string.sub(names, 1, (common - from) * REF_STEP)
    end
    node = get_node(ikey, before, "a list chain")
  end
end

-- Plans storing one list version, reading only. `spec` is what the saver sent (scripts.ts
-- putList): LIST_MARK, then parts: the id of a stored node whose list starts as this one does (or
-- "" when the saver knows none), how many elements they share (at most that node's length), and
-- the bytes of every element after those. `parent_blob()` gives this channel's blob in the
-- checkpoint's parent (false if none), asked for only without a node named (a put that names one,
-- the usual case, skips two lookups): then the elements this list shares with the parent's list
-- are found here. The list extends the longest stored node it can (prefix_base); a list that
-- shares nothing gets a fresh node. Returns the plan, or nil when the named node is not stored or
-- shorter than said (the saver sends the whole list again).
local function plan_list(ikey, spec, parent_blob)
  local rcall = redis.call
  local parts = unpack_parts(spec, 2)
  local hint, known = parts[1], tonumber(parts[2])
  local fields = {}
  for i = 3, #parts do fields[#fields + 1] = "e" .. string.sub(redis.sha1hex(parts[i]), 1, REF_LEN) end
  local n = known + #fields

  -- `head`: a stored node whose first `common` elements are this list's; `first`: the first of
  -- `fields` (and of parts from 3 on) after those.
  local head, common, first = nil, 0, 1
  if hint ~= "" then
    local value = rcall("HGET", ikey, "n" .. hint)
    if not value then return nil end
    head = parse_node(value)
    head.id = hint
    if head.len < known then return nil end
    common = known
  else
    parent_blob = parent_blob()
    if is_list_blob(parent_blob) then
      local nodes = list_nodes(ikey, string.sub(parent_blob, 2), "", true)
      if nodes then
        local names = {}
        for i, each in ipairs(nodes) do names[i] = node_fields(each) end
        names = table.concat(names)
        head = nodes[#nodes]
        while common < head.len and common < n and string.sub(names, common * REF_STEP + 1, (common + 1) * REF_STEP) == fields[common + 1] do common = common + 1 end
        first = common + 1
        if common == 0 then head = nil end
      end
    end
  end
  local base, between = nil, ""
  if head then base, between = prefix_base(ikey, head, common) end

  -- The elements this version adds: those it shares with head after base's end (stored: head
  -- names them), then its own, and of those the ones not stored yet (same ref, other bytes: a
  -- hash collision, refused).
  local store, added = {}, { between }
  for i = first, #fields do
    local field = fields[i]
    added[#added + 1] = field
    local stored = rcall("HGET", ikey, field)
    if stored and stored ~= parts[i + 2] then error("list element hash collision on " .. field) end
    if not stored then store[field] = parts[i + 2] end
  end
  added = table.concat(added)
  local own = #added / REF_STEP

  -- The bytes of `names` (element fields), and of this version's own elements, joined by ",".
  local function joined_with(names)
    local previous = {}
    for i = 1, #names, REF_STEP do previous[#previous + 1] = string.sub(names, i, i + REF_LEN) end
    local bytes = {}
    for i = 1, #previous, 1000 do
      local values = rcall("HMGET", ikey, unpack(previous, i, math.min(i + 999, #previous)))
      for k = 1, #values do
        if not values[k] then missing("a list names list element " .. string.sub(previous[i + k - 1], 2) .. ", which is not stored") end
        bytes[#bytes + 1] = values[k]
      end
    end
    for i = first, #fields do bytes[#bytes + 1] = parts[i + 2] end
    return table.concat(bytes, ",")
  end

  local value, joined
  if base and own == 0 then
    return { id = base.id, store = store }
  elseif base and base.depth + 1 < RUN then
    -- A cumulative chain node: the names since the segment, then its own.
    local seg = base.depth == 0 and base.id or base.seg
    value = (base.depth + 1) .. ":" .. n .. ":" .. base.id .. ":" .. seg .. ":" .. own .. ":" .. since_segment(ikey, base) .. added
  elseif base then
    -- A segment: everything since the last segment.
    local since = since_segment(ikey, base)
    value = "0:" .. n .. ":" .. base.seg .. "::" .. since .. added
    joined = joined_with(since .. between)
  else
    value = "0:" .. n .. ":::" .. added
    joined = joined_with(between)
  end
  local id = string.sub(redis.sha1hex(value), 1, REF_LEN)
  local stored = rcall("HGET", ikey, "n" .. id)
  if stored and stored ~= value then error("list node hash collision on " .. id) end
  return { id = id, value = value, joined = joined, store = store }
end

-- Carries out a plan of plan_list: stores the new elements and node, and makes blob `field` of
-- `bkey` name the node (a list blob it replaces loses its reference).
local function apply_list(ikey, bkey, field, plan)
  local rcall = redis.call
  for name, bytes in pairs(plan.store) do rcall("HSETNX", ikey, name, bytes) end
  -- Two channels of one put may plan the same node: only the first one creates it.
  if plan.value and rcall("HSETNX", ikey, "n" .. plan.id, plan.value) == 1 then
    local node = parse_node(plan.value)
    if plan.joined then rcall("HSET", ikey, "f" .. plan.id, plan.joined) end
    if node.parent ~= "" then rcall("HINCRBY", ikey, "r" .. node.parent, 1) end
    for i = node.own_at, #plan.value, REF_STEP do rcall("HINCRBY", ikey, "c" .. string.sub(plan.value, i + 1, i + REF_LEN), 1) end
  end
  rcall("HINCRBY", ikey, "r" .. plan.id, 1)
  -- The blob field is new unless this version was put before (a retried put): one lookup then.
  local blob = string.char(LIST_MARK) .. plan.id
  if rcall("HSETNX", bkey, field, blob) == 0 then
    local old = rcall("HGET", bkey, field)
    rcall("HSET", bkey, field, blob)
    if is_list_blob(old) then release_node(ikey, string.sub(old, 2)) end
  end
end
