-- The head of a namespace: the checkpoint a read without checkpoint id returns and a resumed run
-- continues from. It is the latest checkpoint, or the one switchBranch chose and the branch grown
-- from it (see put-1.lua); when the recorded head is gone (pruned), the latest checkpoint by id.
-- false for an empty namespace.
local function head_of(base, ns)
  local head = redis.call("HGET", thread_key(base), head_field(ns))
  if head and redis.call("EXISTS", ckpt_key(base, ns, head)) == 1 then return head end
  local latest = redis.call("ZREVRANGE", ckpts_key(base, ns), 0, 0)
  return latest[1] or false
end
