-- Keys of one user's conversation indexes, derived from the user base `P:{u:U}`.
local function user_convs_key(ubase) return ubase .. ":convs" end
local function user_meta_key(ubase) return ubase .. ":meta" end
local function user_tag_key(ubase, tag) return ubase .. ":tag:" .. escape_part(tag) end
local function user_agent_key(ubase, agent) return ubase .. ":agent:" .. escape_part(agent) end
local function user_tmp_key(ubase) return ubase .. ":tmp" end
local function user_expiry_key(ubase) return ubase .. ":expiry" end
