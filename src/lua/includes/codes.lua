-- Domain failures a script reports; src/scripts/codes.ts (ScriptCode) names the same numbers.
local NOT_OWNER = -1 -- the thread has an owner and it is someone else (callers see "not found")
local EXISTS = -2    -- the thread already has a conversation
local CHANGED = -3   -- compare-and-set lost: the record changed since it was read
local RESEND = -4    -- a list spec named a start that is not stored: send the lists whole
