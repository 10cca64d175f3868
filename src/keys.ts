/**
 * The one place in TypeScript that spells Redis keys. Lua scripts derive the per-namespace and
 * per-checkpoint keys of a thread from the thread's base key in `src/lua/includes/keys.lua`,
 * which follows the same layout; `test/keys.test.ts` holds the two together.
 *
 * Layout (`P` = prefix, `{T}` = hash tag from the thread id):
 *
 * | key                          | type        | holds                                              |
 * | ---------------------------- | ----------- | -------------------------------------------------- |
 * | `P:{T}:thread`               | hash        | thread record: times, owner, `head:<ns>` fields, write generation, shallow marks, status (`st`, `sq`, `sc`, `sit`, `si:<task>`; includes/thread-status.lua) |
 * | `P:{T}:nss`                  | set         | the thread's checkpoint namespaces                 |
 * | `P:{T}:ckpts:<ns>`           | sorted set  | checkpoint ids, all scores 0, so ordered by id     |
 * | `P:{T}:ckpt:<ns>:<id>`       | hash        | one checkpoint (tree node): record, parent, blobs it reads, DeltaChannels it rebuilds |
 * | `P:{T}:blobs:<ns>`           | hash        | channel values, field `<channel>:<version>`; a list value names its list node |
 * | `P:{T}:items:<ns>`           | hash        | list elements (`e<ref>`) and list nodes (`n<id>`, `f<id>`), each once, with reference counts (`c<ref>`, `r<id>`); see includes/lists.lua |
 * | `P:{T}:writes:<ns>:<id>`     | hash        | pending writes of one checkpoint                   |
 * | `P:{T}:wids:<ns>`            | set         | ids that have writes but no checkpoint (yet)       |
 * | `P:{T}:leaves:<ns>`          | set         | checkpoints without children: the branch tips      |
 * | `P:{T}:names:<ns>`           | hash        | checkpoint id → branch name                        |
 * | `P:{T}:dropped:<ns>`         | set         | during a prune of several calls: channel values of removed checkpoints, dropped once nothing listed reads them |
 * | `P:{T}:trash`, `P:{T}:trash-seq`, `P:{T}:trash:<n>` | set, string, sorted set or set | during a deleteThread of several calls: the indexes of what is left to remove |
 * | `P:{T}:lease`                | string      | the token of the run holding the thread (ConversationManager.run), with the lease's TTL |
 * | `P:{T}:queue`, `P:{T}:waiting` | sorted sets | runs waiting for the lease: by arrival (µs), by when each last asked (ms); they expire |
 * | `P:threads`                  | sorted set  | every thread id, by when it first appeared (ms)    |
 * | `P:{u:U}:convs`              | sorted set  | user U's conversations by activity (µs, unique)    |
 * | `P:{u:U}:created`            | sorted set  | U's conversations by creation (their first activity score) |
 * | `P:{u:U}:meta`               | hash        | thread id → conversation record (JSON)             |
 * | `P:{u:U}:by-tag:<tag>`       | sorted set  | U's conversations with that tag (filter indexes: scores all 0, ordered by id, so that a count can step through them) |
 * | `P:{u:U}:by-agent:<agent>`   | sorted set  | U's conversations with that agent                  |
 * | `P:{u:U}:by-status:<status>` | sorted set  | U's conversations with that status (idle, busy, interrupted, error): each in exactly one |
 * | `P:{u:U}:by-cd:<key>:<sha1>` | sorted set  | U's conversations whose customData has that top-level key and value (records.ts customIndex) |
 * | `P:{u:U}:cdk`                | hash        | thread id → the `by-cd` entries it is in (JSON)    |
 * | `P:{u:U}:expiry`             | sorted set  | U's expiring conversations by their thread's deadline |
 * | `P:{u:U}:status`, `P:{u:U}:intr` | hashes  | thread id → `<seq>:<status>` its thread last reported; → its pending interrupts (JSON) |
 * | `P:{u:U}:run`, `P:{u:U}:runs` | hash, sorted set | thread id → `<generation>:<token>` of the last run that held it; → that lease's deadline (ms), while held |
 * | `P:{u:U}:tmp`                | sorted set  | scratch of a listing script (created and removed in it) |
 *
 * A thread's record (`P:{T}:thread`) holds its `owner`; the conversation's metadata lives in its
 * owner's slot, so that a page of a user's listing is one script on one slot.
 */

/**
 * Escapes a key part so that it can never contain `{`, `}` or `:`. The escape is injective
 * (`%` is escaped too), so two different ids never share a key, whatever characters they hold.
 * The same rule is implemented in Lua (`escape` in `src/lua/includes/keys.lua`).
 */
export function escapeKeyPart(value: string): string {
  // Most parts (thread ids, channels, namespaces) hold nothing to escape: one test, no replace.
  if (!ESCAPED.test(value)) return value;
  return value.replace(/[%:{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

const ESCAPED = /[%:{}]/;

/** Builds the keys of one saver, under one prefix. */
export class KeySpace {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /**
   * The base of every key of one thread, `P:{T}`. All keys of a thread start with it, so they
   * share the hash tag and live in one Redis Cluster slot.
   */
  threadBase(threadId: string): string {
    return `${this.prefix}:{${escapeKeyPart(threadId)}}`;
  }

  /**
   * The base of every key of one user's conversation indexes, `P:{u:U}`. An escaped thread id
   * never holds `:`, so no thread's hash tag can equal a user's.
   */
  userBase(userId: string): string {
    return `${this.prefix}:{u:${escapeKeyPart(userId)}}`;
  }

  /** `P:threads`: all thread ids, scored by when they first appeared. Its own slot (cross-slot index). */
  threadsIndex(): string {
    return `${this.prefix}:threads`;
  }
}

/** The blobs-hash field of one channel version; the escaped channel never contains `:`. */
export function blobField(channel: string, version: string | number): string {
  return blobFieldPrefix(channel) + String(version);
}

/**
 * The checkpoint hash field holding the canonical JSON of one metadata key, for list filters. The
 * key is JSON-quoted: JSON escapes lone surrogates, so no two keys share a field.
 */
export function metadataField(key: string): string {
  return `m:${JSON.stringify(key)}`;
}

/** What every blob field of a channel starts with (scripts look a channel's field up by it). */
export function blobFieldPrefix(channel: string): string {
  // Spelt for every channel of every put (a few dozen a graph step): a graph has a few channels,
  // so they are remembered, up to a bound that channel names made at run time cannot outgrow.
  let prefix = PREFIXES.get(channel);
  if (prefix === undefined) {
    if (PREFIXES.size >= PREFIXES_KEPT) PREFIXES.clear();
    prefix = `${escapeKeyPart(channel)}:`;
    PREFIXES.set(channel, prefix);
  }
  return prefix;
}

const PREFIXES = new Map<string, string>();
const PREFIXES_KEPT = 4096;
