-- Keys of one user's conversation indexes, derived from the user base `P:{u:U}`.
local function user_convs_key(ubase) return ubase .. ":convs" end
local function user_created_key(ubase) return ubase .. ":created" end
local function user_meta_key(ubase) return ubase .. ":meta" end
local function user_tmp_key(ubase) return ubase .. ":tmp" end
local function user_expiry_key(ubase) return ubase .. ":expiry" end
-- The filter indexes (by tag, agent, status, customData) are sorted sets whose scores are all 0,
-- ordered by thread id: a count can step through one (ZRANGE BYLEX) and meet each member once,
-- however the set changes meanwhile (count-conversations-1.lua).
local function user_tag_key(ubase, tag) return ubase .. ":by-tag:" .. escape_part(tag) end
local function user_agent_key(ubase, agent) return ubase .. ":by-agent:" .. escape_part(agent) end
local function user_status_set_key(ubase, status) return ubase .. ":by-status:" .. status end
-- A conversation's status and runs (includes/user-status.lua).
local function user_status_key(ubase) return ubase .. ":status" end
local function user_intr_key(ubase) return ubase .. ":intr" end
local function user_run_key(ubase) return ubase .. ":run" end
local function user_runs_key(ubase) return ubase .. ":runs" end
-- customData search: one index per top-level key and value; the suffix `<escaped key>:<sha1 of the
-- value's canonical JSON>` is made in TypeScript (src/conversations/records.ts customIndex), and
-- `cdk` remembers each conversation's suffixes so that they can be removed.
local function user_custom_key(ubase, suffix) return ubase .. ":by-cd:" .. suffix end
local function user_cdk_key(ubase) return ubase .. ":cdk" end
-- Every change of a filter index's members moves a generation of the user's (`gen` hash: "s" for
-- the status indexes, "m" for the others), so that a listing's total counted in steps can be kept
-- (`totals` hash) and reused for as long as nothing it counted changed.
local function user_gen_key(ubase) return ubase .. ":gen" end
local function user_totals_key(ubase) return ubase .. ":totals" end
-- A generation is the server's clock in µs, kept above its last value: a user whose indexes are
-- all removed (and the `gen` hash with them) never comes back to a generation seen before.
local function next_generation(ubase, field)
  local key = user_gen_key(ubase)
  local t = redis.call("TIME")
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call("HGET", key, field) or "0")
  redis.call("HSET", key, field, string.format("%.0f", math.max(now, last + 1)))
end
local function index_add(ubase, key, thread_id, gen)
  if redis.call("ZADD", key, 0, thread_id) == 1 then next_generation(ubase, gen or "m") end
end
local function index_remove(ubase, key, thread_id, gen)
  if redis.call("ZREM", key, thread_id) == 1 then next_generation(ubase, gen or "m") end
end
