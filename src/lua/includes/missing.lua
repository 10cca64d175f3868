-- Refuses to answer from a thread that lost part of itself (evicted, or removed outside this
-- library): a reference to something that is gone is an error, never empty state. The prefix
-- lets the saver tell this apart from other script errors (missingData in src/scripts/scripts.ts).
local function missing(what)
  error({ err = "LGTREE_MISSING " .. what })
end

-- A checkpoint id namespace `ns` lists whose node is gone.
local function lost_checkpoint(ns, id)
  missing("namespace \"" .. ns .. "\" lists checkpoint " .. id .. ", which is not stored")
end
