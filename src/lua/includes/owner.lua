-- The owner check of thread scripts. `required` is "" for the plain saver (no check) or the user
-- id the caller acts for; the owner is the `owner` field of the thread record (false if none).
local function owner_mismatch(base, required)
  if required == "" then return false end
  return redis.call("HGET", thread_key(base), "owner") ~= required
end
