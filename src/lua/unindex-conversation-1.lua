#!lua flags=allow-oom
--[[
  unindexConversation: removes a conversation from its user's record, listing, tag, agent and
  expiry indexes.

  KEYS[1]  user base `P:{u:U}`

  ARGV[1]  thread id

  Returns 1 if the conversation was indexed, 0 if not.
]]
--- @include "keys"
--- @include "unindex"
return unindex(KEYS[1], ARGV[1])
