--- @include "missing"
-- A checkpoint id the namespace lists but whose node is gone (evicted, or removed outside this
-- library) is lost data, never a checkpoint that is not there: a read without a checkpoint id
-- would otherwise answer with an older one (or none), and a graph would resume from it. One that
-- is not listed any more was pruned.
local function must_be_unlisted(base, ns, id)
  if redis.call("ZSCORE", ckpts_key(base, ns), id) then lost_checkpoint(ns, id) end
end

-- The head of a namespace: the checkpoint a read without checkpoint id returns and a resumed run
-- continues from. It is the latest checkpoint, or the one switchBranch chose and the branch grown
-- from it (see put-1.lua); when the recorded head is gone (pruned), the latest checkpoint by id.
-- false for an empty namespace.
local function head_of(base, ns)
  local head = redis.call("HGET", thread_key(base), head_field(ns))
  if head then
    if redis.call("EXISTS", ckpt_key(base, ns, head)) == 1 then return head end
    must_be_unlisted(base, ns, head)
  end
  local latest = redis.call("ZREVRANGE", ckpts_key(base, ns), 0, 0)[1]
  if latest and redis.call("EXISTS", ckpt_key(base, ns, latest)) == 0 then lost_checkpoint(ns, latest) end
  return latest or false
end
