--- @include "write-channel"
--- @include "missing"
--- @include "blobs"
-- The ancestor walk that rebuilds DeltaChannel values (BaseCheckpointSaver.getDeltaChannelHistory).
-- A DeltaChannel is absent from most checkpoints: its value is the nearest ancestor that stores
-- one (its seed) plus the pending writes to it of every checkpoint from that ancestor down to the
-- parent of the one being read. The walk follows parent links up from its start checkpoints and
-- reports, for each checkpoint it passes, its writes to the walked channels and the seeds it
-- finds; a channel's walk ends at its seed, or at a root (no seed: start empty). Walks from
-- several starts share their common ancestors: each checkpoint is read once.
--
-- One call does a bounded amount of work so that no script blocks Redis for long: at most
-- max_nodes checkpoints and about max_bytes of values, and past WALK_MIN_NODES checkpoints (about
-- 4 ms on a slow server) no more than about WALK_MAX_US of server time; what is left is returned
-- as a frontier to resume from. The floor keeps the number of calls of common walks (a few hundred
-- checkpoints) the same under load.
--
--   w.base, w.ns    the thread base and namespace
--   w.channels      { name, ... }: the walked channels; indices into this list name them below
--   w.queue         { { id, child or false, { index, ... } }, ... }: checkpoints to visit, with
--                   the channels still walked there
--   w.known         { [id] = true }: checkpoints whose history the caller already holds (its
--                   cache): visited, but their parents are not
--   w.lenient       { [index] = true }: channels whose walk ends quietly at a checkpoint that is
--                   gone, as the base class's walk does (getTuple answers nothing, the walk ends);
--                   the others are channels a checkpoint rebuilds, and a gap in their walk is lost
--                   data: an error
--   w.max_nodes, w.max_bytes
--
-- Returns facts, frontier, both flat (one array each: nested replies cost Redis more to encode
-- than the walk itself).
--   facts:    per visited checkpoint: id, parent or false, kind (0; 1: a known checkpoint, whose
--             parents were not visited; 2: a checkpoint that is gone, ending the walk of lenient
--             channels), "i,j" (the channels whose
--             seed was looked for here), S, then S triples (channel index, field or false,
--             value) for the seeds found, W, then W packed writes. A seed's field is false when
--             the value has no version and lives in the checkpoint's record (then value is the
--             packed record). Writes are reported on a checkpoint's first visit, for every walked
--             channel; a checkpoint visited again for more channels is reported again, without
--             writes.
--   frontier: id, child or false, "i,j,...": the entries not visited, three values each.
local WALK_MIN_NODES = 256
local WALK_MAX_US = 4000

local function walk_clock()
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function delta_walk(w)
  local rcall = redis.call
  local deadline = walk_clock() + WALK_MAX_US
  local base, ns = w.base, w.ns
  local index_of, prefixes, plain = {}, {}, {}
  for i, name in ipairs(w.channels) do
    index_of[name] = i
    prefixes[i] = escape_part(name) .. ":"
    -- Without characters JSON escapes, the prefix appears as is in the encoded list of a node
    -- that holds the channel: a plain search rules most nodes out without decoding the list.
    plain[i] = not string.find(prefixes[i], '[%c"\\/]')
  end
  local explored, facts = {}, {}
  local nodes, bytes, at = 0, 0, 1
  local queue = w.queue

  local function emit(id, parent, kind, todo, seeds, writes)
    local n = #facts
    facts[n + 1] = id
    facts[n + 2] = parent
    facts[n + 3] = kind
    facts[n + 4] = table.concat(todo, ",")
    facts[n + 5] = #seeds / 3
    n = n + 5
    for i = 1, #seeds do facts[n + i] = seeds[i] end
    n = n + #seeds
    facts[n + 1] = #writes
    for i = 1, #writes do facts[n + 1 + i] = writes[i] end
  end

  -- One checkpoint, for the channels `todo` that no earlier visit walked here.
  local function visit(id, child, todo, seen)
    local key = ckpt_key(base, ns, id)
    local node = rcall("HMGET", key, "v", "parent", "blobs", "uv", "fmt")
    if not node[1] then
      for _, c in ipairs(todo) do
        if not w.lenient[c] then
          missing("checkpoint " .. id .. " is not stored, but " .. (child and ("its child " .. child) or "this read") ..
            " needs it to rebuild channel " .. w.channels[c])
        end
      end
      for _, c in ipairs(todo) do seen[c] = true end
      emit(id, false, 2, todo, {}, {})
      return
    end
    local writes = {}
    if next(seen) == nil then
      nodes = nodes + 1
      local flat = rcall("HGETALL", writes_key(base, ns, id))
      for i = 2, #flat, 2 do
        if index_of[write_channel(flat[i])] then
          writes[#writes + 1] = flat[i]
          bytes = bytes + #flat[i]
        end
      end
    end
    local list = node[3] or "[]"
    local fields = nil
    local unversioned = {}
    if node[4] then for _, name in ipairs(cjson.decode(node[4])) do unversioned[name] = true end end
    local seeds, onward = {}, {}
    for _, c in ipairs(todo) do
      seen[c] = true
      local field = false
      if list ~= "[]" and (not plain[c] or string.find(list, prefixes[c], 1, true)) then
        fields = fields or cjson.decode(list)
        for _, f in ipairs(fields) do
          if string.sub(f, 1, #prefixes[c]) == prefixes[c] then
            field = f
            break
          end
        end
      end
      local value, size = false, 0
      if field then value, size = read_blob(base, ns, field, "checkpoint " .. id .. " channel value") end
      -- Checkpoints written before storage format 2 (no `fmt`) listed a field for every channel
      -- version, stored or not: a missing one there means "no value".
      if field and not value and node[5] then missing("checkpoint " .. id .. " names channel value " .. field .. ", which is not stored") end
      if value then
        seeds[#seeds + 1] = c
        seeds[#seeds + 1] = field
        seeds[#seeds + 1] = value
        bytes = bytes + size
      elseif unversioned[w.channels[c]] then
        local record = rcall("HGET", key, "checkpoint")
        seeds[#seeds + 1] = c
        seeds[#seeds + 1] = false
        seeds[#seeds + 1] = record
        bytes = bytes + #record
      else
        onward[#onward + 1] = c
      end
    end
    emit(id, node[2] or false, w.known[id] and 1 or 0, todo, seeds, writes)
    if #onward > 0 and node[2] and not w.known[id] then
      queue[#queue + 1] = { node[2], id, onward }
    end
  end

  while at <= #queue and nodes < w.max_nodes and bytes < w.max_bytes do
    if nodes >= WALK_MIN_NODES and nodes % 16 == 0 and walk_clock() > deadline then break end
    local entry = queue[at]
    at = at + 1
    local id = entry[1]
    local seen = explored[id]
    if not seen then
      seen = {}
      explored[id] = seen
    end
    local todo = {}
    for _, c in ipairs(entry[3]) do
      if not seen[c] then todo[#todo + 1] = c end
    end
    if #todo > 0 then visit(id, entry[2], todo, seen) end
  end
  local frontier = {}
  for i = at, #queue do
    frontier[#frontier + 1] = queue[i][1]
    frontier[#frontier + 1] = queue[i][2]
    frontier[#frontier + 1] = table.concat(queue[i][3], ",")
  end
  return facts, frontier
end

-- The walk's inputs that every walking script takes the same way, from argv[i] on (argv is the
-- script's ARGV, passed in: an include never reads the globals KEYS and ARGV, see scripts/gen-lua.mjs):
--   argv[i]    max checkpoints to visit in this call
--   argv[i+1]  max bytes of values to return (about)
--   argv[i+2]  C, the number of walked channels, then C channel names
--   then       K, the number of known checkpoints (see delta_walk), then K ids
--   then       the lenient channels' indices, "i,j" ("" for none)
-- Returns a walk table without queue, and the index of the first argv after these.
local function walk_args(argv, base, ns, i)
  local w = { base = base, ns = ns, max_nodes = tonumber(argv[i]), max_bytes = tonumber(argv[i + 1]), channels = {}, known = {}, lenient = {} }
  local c = tonumber(argv[i + 2])
  for j = 1, c do w.channels[j] = argv[i + 2 + j] end
  local k = tonumber(argv[i + 3 + c])
  for j = 1, k do w.known[argv[i + 3 + c + j]] = true end
  for index in string.gmatch(argv[i + 4 + c + k], "%d+") do w.lenient[tonumber(index)] = true end
  return w, i + 5 + c + k
end

-- The indices of a walk's channels that checkpoint `id` does not list as rebuilt from its
-- ancestors (its `delta` field): their walks are lenient (see delta_walk), as "i,j".
local function lenient_for(w, base, ns, id)
  local rebuilt = {}
  local delta = redis.call("HGET", ckpt_key(base, ns, id), "delta")
  if delta then for _, name in ipairs(cjson.decode(delta)) do rebuilt[name] = true end end
  local out = {}
  for c, name in ipairs(w.channels) do
    if not rebuilt[name] then
      w.lenient[c] = true
      out[#out + 1] = c
    end
  end
  return table.concat(out, ",")
end

-- Every channel index of a walk, for a start that walks all of them.
local function all_channels(w)
  local all = {}
  for i = 1, #w.channels do all[i] = i end
  return all
end

-- What a caller's cache of walk results is valid for: the thread record's epoch (the server's
-- clock when the record was created, so a thread deleted and created again differs) and its write
-- generation, which moves whenever a checkpoint that already has children gets new writes, is put
-- again, or checkpoints are pruned (see put-1.lua, put-writes-1.lua, includes/prune.lua).
local function thread_validator(base)
  local r = redis.call("HMGET", thread_key(base), "epoch", "wgen")
  return (r[1] or "") .. ":" .. (r[2] or "0")
end
