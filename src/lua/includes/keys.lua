-- Key layout of one thread, derived from its base key `P:{T}` (KEYS[1] of every thread script).
-- Mirrors src/keys.ts; test/keys.test.ts checks that both spell the same keys.
local function escape_char(c) return string.format("%%%02X", string.byte(c)) end
local function escape_part(s)
  -- Most parts (namespaces, tags) hold nothing to escape: skip the substitution for them.
  if not string.find(s, "[%%:{}]") then return s end
  return (string.gsub(s, "[%%:{}]", escape_char))
end
local function thread_key(base) return base .. ":thread" end
local function nss_key(base) return base .. ":nss" end
local function ckpts_key(base, ns) return base .. ":ckpts:" .. escape_part(ns) end
local function ckpt_key(base, ns, id) return base .. ":ckpt:" .. escape_part(ns) .. ":" .. id end
local function blobs_key(base, ns) return base .. ":blobs:" .. escape_part(ns) end
local function items_key(base, ns) return base .. ":items:" .. escape_part(ns) end
local function writes_key(base, ns, id) return base .. ":writes:" .. escape_part(ns) .. ":" .. id end
local function wids_key(base, ns) return base .. ":wids:" .. escape_part(ns) end
local function leaves_key(base, ns) return base .. ":leaves:" .. escape_part(ns) end
local function names_key(base, ns) return base .. ":names:" .. escape_part(ns) end
-- Channel values of checkpoints a prune removed, to drop once nothing listed reads them (includes/prune.lua).
local function dropped_key(base, ns) return base .. ":dropped:" .. escape_part(ns) end
-- Every key of namespace `ns` that is not one checkpoint's own (its node and writes).
local function ns_keys(base, ns)
  return { ckpts_key(base, ns), blobs_key(base, ns), items_key(base, ns), wids_key(base, ns), leaves_key(base, ns), names_key(base, ns), dropped_key(base, ns) }
end
-- What a deleteThread still has to remove (see delete-thread-1.lua): the set of trash entries,
-- the counter that names them, and the index a trash entry was renamed to.
local function trash_key(base) return base .. ":trash" end
local function trash_seq_key(base) return base .. ":trash-seq" end
local function trashed_key(base, n) return base .. ":trash:" .. n end
-- A run's lease on the thread (a string: the run's token, with the lease's TTL), and the runs
-- waiting for it: by arrival (sorted set, µs) and by when each waiter last asked (ms). See
-- run-lease-1.lua; they expire on their own.
local function lease_key(base) return base .. ":lease" end
local function queue_key(base) return base .. ":queue" end
local function waiting_key(base) return base .. ":waiting" end
-- The head (active branch tip) of a namespace is a field of the thread record.
local function head_field(ns) return "head:" .. ns end
