-- Keys of one user's conversation indexes, derived from the user base `P:{u:U}`.
local function user_convs_key(ubase) return ubase .. ":convs" end
local function user_created_key(ubase) return ubase .. ":created" end
local function user_meta_key(ubase) return ubase .. ":meta" end
-- The filter indexes (by tag, agent, status, customData) are sorted sets whose scores are all 0,
-- ordered by thread id: a count can step through one (ZRANGE BYLEX) and meet each member once,
-- however the set changes meanwhile (count-conversations-1.lua).
local function user_tag_key(ubase, tag) return ubase .. ":by-tag:" .. escape_part(tag) end
local function user_agent_key(ubase, agent) return ubase .. ":by-agent:" .. escape_part(agent) end
local function index_add(key, thread_id) redis.call("ZADD", key, 0, thread_id) end
local function index_remove(key, thread_id) redis.call("ZREM", key, thread_id) end
local function user_tmp_key(ubase) return ubase .. ":tmp" end
local function user_expiry_key(ubase) return ubase .. ":expiry" end
local function user_status_key(ubase) return ubase .. ":status" end
local function user_status_set_key(ubase, status) return ubase .. ":by-status:" .. status end
local function user_intr_key(ubase) return ubase .. ":intr" end
local function user_run_key(ubase) return ubase .. ":run" end
local function user_runs_key(ubase) return ubase .. ":runs" end
-- customData search: one set per top-level key and value; the suffix `<escaped key>:<sha1 of the
-- value's canonical JSON>` is made in TypeScript (src/conversations/records.ts customIndex), and
-- `cdk` remembers each conversation's suffixes so that they can be removed.
local function user_custom_key(ubase, suffix) return ubase .. ":by-cd:" .. suffix end
local function user_cdk_key(ubase) return ubase .. ":cdk" end
