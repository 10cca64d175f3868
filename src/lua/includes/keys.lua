-- Key layout of one thread, derived from its base key `P:{T}` (KEYS[1] of every thread script).
-- Mirrors src/keys.ts; test/keys.test.ts checks that both spell the same keys.
local function escape_part(s)
  return (string.gsub(s, "[%%:{}]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
local function thread_key(base) return base .. ":thread" end
local function nss_key(base) return base .. ":nss" end
local function ckpts_key(base, ns) return base .. ":ckpts:" .. escape_part(ns) end
local function ckpt_key(base, ns, id) return base .. ":ckpt:" .. escape_part(ns) .. ":" .. id end
local function blobs_key(base, ns) return base .. ":blobs:" .. escape_part(ns) end
local function writes_key(base, ns, id) return base .. ":writes:" .. escape_part(ns) .. ":" .. id end
local function wids_key(base, ns) return base .. ":wids:" .. escape_part(ns) end
local function leaves_key(base, ns) return base .. ":leaves:" .. escape_part(ns) end
local function names_key(base, ns) return base .. ":names:" .. escape_part(ns) end
-- The head (active branch tip) of a namespace is a field of the thread record.
local function head_field(ns) return "head:" .. ns end

-- Keys of one user's conversation indexes, derived from the user base `P:{u:U}`.
local function user_convs_key(ubase) return ubase .. ":convs" end
local function user_meta_key(ubase) return ubase .. ":meta" end
local function user_tag_key(ubase, tag) return ubase .. ":tag:" .. escape_part(tag) end
local function user_agent_key(ubase, agent) return ubase .. ":agent:" .. escape_part(agent) end
local function user_tmp_key(ubase) return ubase .. ":tmp" end
local function user_expiry_key(ubase) return ubase .. ":expiry" end
