/**
 * The scripts layer: one typed wrapper per Lua script (src/lua/*.lua), and the few plain commands.
 * A wrapper builds the script's KEYS and ARGV from typed input, runs it (one round trip), decodes
 * the reply into a typed result and turns the script's codes into errors (codes.ts). Nothing
 * outside this module builds ARGV or reads a raw reply. BullMQ's scripts.ts is the model.
 *
 * Each script runs as a Redis Functions library (FCALL), loaded when a call finds it missing, with
 * EVALSHA as the fallback where FUNCTION is refused (functions.ts). Names carry a hash of the
 * source, so two versions of this library on one Redis or connection never mix scripts.
 *
 * A script that adds data starts with `#!lua` (Redis 7 script flags; a function gets the same
 * flags): Redis then checks memory before the script runs and refuses it whole when over
 * `maxmemory`, instead of checking at its first write and letting the rest through (put's first
 * write is a DEL). The scripts that remove data (deleteThread, prune, unindexConversation) or only
 * move deadlines (ttlMove) say `allow-oom`, so that memory can be freed when it is full, and a put
 * that was written is never followed by a step refused for memory. Reading scripts keep no flags
 * as EVAL scripts and say `allow-oom` as functions (scripts/gen-lua.mjs): a read works out of
 * memory, and the TTL they refresh on read (PEXPIRE) adds no data.
 */
import type { Cluster, Redis } from "ioredis";
import { DurabilityError, InvalidInputError, NotFoundError, StorageError } from "../errors.js";
import { namesOf } from "../codec.js";
import type { KeySpace } from "../keys.js";
import { luaScripts } from "../lua/generated.js";
import { callScript, callScriptWith } from "./functions.js";
import { ScriptCode, codeError, isCode, type CodeContext } from "./codes.js";
import { maxmemoryPolicies, refuseEviction } from "./eviction.js";
import { blobValue, packWrite, pairs, parseTuple, parseWalk, text, type FrontierEntry, type RawWrite, type Reply, type StoredTuple, type Walk } from "./replies.js";

/** The ioredis clients this library accepts: a single node or a Cluster. */
export type RedisClient = Redis | Cluster;

type ScriptName = keyof typeof luaScripts;

/**
 * An owner check: the caller acts for this user, and the thread must be theirs (else the answer
 * is NotFoundError, as for a missing thread). Absent: no check. An empty owner is refused, never
 * read as "no check".
 */
export interface OwnerCheck {
  owner?: string;
}

/**
 * The public operation a call serves, for the scripts that several operations use: a failure's
 * StorageError names it. Each wrapper has a default, its usual caller.
 */
export interface ForOperation {
  operation?: string;
}

/**
 * One condition of a checkpoint listing's metadata filter on a checkpoint's filter field (see
 * keys.ts `metadataField`): the field holds this canonical JSON, or the field is absent.
 */
export type MetadataCondition = { field: string; json: string } | { field: string; absent: true };

/** How much one call of a walking script may do (see src/lua/includes/delta-walk.lua). */
export interface WalkBudget {
  maxNodes: number;
  maxBytes: number;
  /** Checkpoints one filtered `list` call examines at most (see list-1.lua). */
  maxExamined: number;
  /** Bytes of tuples one `list` call returns at most, past its first tuple (see list-1.lua). */
  maxListBytes: number;
  /** Conversations one filtered `listConversations` call walks at most (see list-conversations-1.lua). */
  maxWalked: number;
  /** Keys or checkpoints one call of a stepped script (deleteThread, prune, threadStats) handles at most. */
  step: number;
  /** Tasks' writes one putWrites call carries at most (see Scripts.putWrites); 1 sends each at once. */
  writeGroups: number;
}

/**
 * Where a DeltaChannel walk starts: at a checkpoint's parent (the head's without an id), or where
 * an earlier call stopped.
 */
export type WalkStart = { target: string | undefined } | { resume: FrontierEntry[] };

/** What a walking read is told about the caller's cache (see HistoryCache). */
export interface WalkCache {
  /** The validator the cache holds, "" for none. */
  validator: string;
  /** Checkpoints whose history the cache holds: the walk stops at them. */
  known: readonly string[];
}

/** One row of readTree: a checkpoint as a tree node. */
export interface TreeRow {
  id: string;
  parent: string | null;
  ts: string;
  /** The blob field of its stored messages, if it stores them. */
  field: string | null;
  /** Its number of messages; null when not recorded. */
  count: number | null;
  /** Its messages are a DeltaChannel it rebuilds from its ancestors. */
  rebuilt: boolean;
  /** The walk started here (a branch tip or the head that rebuilds its messages). */
  walked: boolean;
}

/** One row of readBranches: a branch tip. */
export interface BranchRow {
  id: string;
  name: string | null;
  ts: string;
  /**
   * Its messages as the script knows them: their number (recorded at put), the stored messages
   * value (the number was not recorded), or rebuilt from its ancestors (a DeltaChannel: the walk).
   */
  messages: { count: number } | { stored: Buffer } | { rebuilt: true };
  /** The head is on its path. */
  through: boolean;
  parent: string | null;
}

/** A checkpoint to plant in a new thread (forks): id, then node fields, blobs and writes as pairs. */
export interface PlantedCheckpoint {
  id: string;
  node: Array<string | Buffer>;
  blobs: Array<string | Buffer>;
  writes: Array<string | Buffer>;
}

/** One conversation of a listing page: its thread, stored record (JSON) and activity score. */
export interface ListedConversation {
  threadId: string;
  record: Buffer;
  /** The activity score. */
  score: string;
  status: ConversationStatus;
  /** Pending interrupts, a JSON array. */
  interrupts: string;
}

/** What a conversation is doing: see Conversation.status. */
export type ConversationStatus = "idle" | "busy" | "interrupted" | "error";

/** A thread's own status as its scripts derived it (includes/thread-status.lua). */
export interface ThreadStatus {
  /** Orders a thread's updates: the owner's index keeps the highest. */
  seq: number;
  status: "idle" | "interrupted" | "error";
  /** Pending interrupts, a JSON array. */
  interrupts: string;
}

/** A thread's TTL as setTtl takes it: its own, none (pinned), or the saver's default. */
export type ThreadTtl = { ms: number } | "pinned" | "default";

/** What the saver accepts of the Redis it runs on (see eviction.ts). */
export interface Safety {
  /** Work on a Redis whose maxmemory-policy may evict the saver's keys. */
  allowEviction: boolean;
  /** The saver gives threads a TTL (so `volatile-*` policies may evict them). */
  ttl: boolean;
  /** Writes wait for this many replicas (WAIT), sent with the script. */
  durability: { replicas: number; timeoutMs: number } | undefined;
}

/**
 * Members of the smallest filter index one step of a listing's total counts (when the listing
 * script leaves it: COUNT_INLINE in src/lua/includes/user-filters.lua). A step copies them (about
 * 1.3 µs each) and looks each up in the other indexes (0.5 to 1 µs each): some 2 to 4 ms.
 */
const COUNT_STEP = 1000;

/** The scripts that write (they start with `#!lua`, see above): with `durability`, they wait for replicas. */
const WRITING = new Set<ScriptName>((namesOf(luaScripts) as ScriptName[]).filter((name) => luaScripts[name].lua.startsWith("#!lua")));

/** Writes of one thread waiting to go as one putWrites script call (see Scripts.putWrites). */
interface WriteBatch {
  threadId: string;
  ttlMs: number;
  groups: Array<{ args: Array<string | Buffer>; resolve: (result: { stored: number; changed?: { owner: string | null } & ThreadStatus }) => void; reject: (err: unknown) => void }>;
  bytes: number;
}

/**
 * Bytes of writes one putWrites call carries at most, past its first task's: more goes in the next
 * call, so that a step of many tasks with large writes never becomes one long script (storing a
 * value costs some 4 ms a MiB). The number of tasks is WalkBudget.writeGroups.
 */
const WRITES_BATCH_BYTES = 1024 * 1024;

export class Scripts {
  readonly client: RedisClient;
  readonly keys: KeySpace;
  readonly budget: WalkBudget;
  readonly #safety: Safety;
  /** Each thread's writes waiting to go, by thread base key. */
  readonly #writes = new Map<string, WriteBatch>();
  /** The eviction policy was checked (or need not be): calls go straight to Redis. */
  #checked: boolean;

  constructor(client: RedisClient, keys: KeySpace, budget: WalkBudget, safety: Safety) {
    this.client = client;
    this.keys = keys;
    this.budget = budget;
    this.#safety = safety;
    this.#checked = safety.allowEviction;
    for (const script of Object.values(luaScripts)) {
      // Names carry a hash of the source, so an existing definition is this exact script.
      if (typeof (client as unknown as Record<string, unknown>)[script.command] !== "function") {
        client.defineCommand(script.command, { numberOfKeys: script.numberOfKeys, lua: script.lua });
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Checkpoints

  /**
   * getTuple: one checkpoint (the head without an id), its values and writes. `known` are list
   * nodes whose elements the caller holds, by node id: a list value naming one is not sent back.
   */
  async getTuple(
    threadId: string,
    ns: string,
    checkpointId: string | undefined,
    options: OwnerCheck & { refreshTtlMs?: number; known?: ReadonlyMap<string, readonly Buffer[]> },
  ): Promise<{ tuple: StoredTuple | null; pushedDeadline: number; owner: string | null }> {
    const known = options.known ?? new Map<string, readonly Buffer[]>();
    const reply = await this.thread("getTuple", "getTuple", threadId, [ns, checkpointId ?? "", ownerArg(options), ttlArg(options.refreshTtlMs), Array.from(known, ([node]) => node).join(",")], { checkpointId });
    const [tuple, pushed, owner, moving] = reply as Reply[];
    if (moving === 1) return { tuple: parseTuple(tuple, known), ...(await this.moveTtl("getTuple", threadId)) };
    return { tuple: parseTuple(tuple, known), pushedDeadline: pushed as number, owner: owner ? text(owner) : null };
  }

  /** list: one page of a thread's checkpoints, newest first. */
  async list(
    threadId: string,
    query: {
      /** One namespace, or undefined for all. */
      ns: string | undefined;
      /** Only checkpoints before (id, namespace), both descending; undefined from the newest. */
      cursor: { id: string; ns: string } | undefined;
      /** Only this checkpoint. */
      only: string | undefined;
      pageSize: number;
      refreshTtlMs?: number;
      filter: readonly MetadataCondition[];
    },
  ): Promise<{ exists: boolean; pushedDeadline: number; owner: string | null; resume: { id: string; ns: string } | undefined; tuples: StoredTuple[] }> {
    const reply = (await this.thread("list", "list", threadId, [
      query.ns === undefined ? "*" : "1",
      query.ns ?? "",
      query.cursor?.id ?? "",
      query.cursor?.ns ?? "",
      query.only ?? "",
      String(query.pageSize),
      ttlArg(query.refreshTtlMs),
      String(this.budget.maxExamined),
      String(query.filter.length),
      // "" stands for "absent": canonical JSON is never the empty string.
      ...query.filter.flatMap((c) => [c.field, "json" in c ? c.json : ""]),
      String(this.budget.maxListBytes),
    ])) as Reply[];
    const [exists, pushed, owner, moving, resumeId, resumeNs, ...tuples] = reply;
    const resume = text(resumeId) === "" ? undefined : { id: text(resumeId), ns: text(resumeNs) };
    const deadline = moving === 1 ? await this.moveTtl("list", threadId) : { pushedDeadline: pushed as number, owner: owner ? text(owner) : null };
    // Each list item comes once per reply, later copies as its index (includes/lists.lua list_value).
    const sent: Buffer[] = [];
    return { exists: exists === 1, ...deadline, resume, tuples: tuples.map((t) => parseTuple(t, undefined, sent)!) };
  }

  /**
   * put: one checkpoint, atomically. Throws NotFoundError (the thread is someone else's) or the
   * internal ChangedError (with requireHead: the head moved on); nothing is written then. A blob
   * is a packed value or a list spec (replies.ts listSpec); `resend` (nothing written) says that a
   * spec named a start that is no longer stored, and the caller sends its lists whole. `lists`
   * gives the node now stored for each list written, by blob field.
   */
  async put(input: {
    threadId: string;
    ns: string;
    checkpointId: string;
    /** The checkpoint's parent, undefined for a root. */
    parentId: string | undefined;
    v: number;
    record: Buffer;
    blobFields: readonly string[];
    unsentFields: readonly string[];
    nowMs: number;
    owner?: string;
    ts: string;
    lengths: Record<string, number>;
    ttlMs: number;
    shallow: boolean;
    requireHead: boolean;
    deltaMarked: readonly string[];
    valueless: readonly string[];
    unversioned: readonly string[];
    filter: ReadonlyArray<readonly [string, string]>;
    blobs: ReadonlyArray<readonly [string, Buffer]>;
  }): Promise<
    | { resend: true }
    | { resend: false; owner: string | null; deadline: number; newNamespace: boolean; deadlineMoved: boolean; lists: Map<string, string>; pruneLeft: boolean; statusSeq: number; stop: string }
  > {
    const args: Array<string | Buffer> = [
      input.ns,
      input.checkpointId,
      input.parentId ?? "",
      String(input.v),
      input.record,
      JSON.stringify(input.blobFields),
      JSON.stringify(input.unsentFields),
      String(input.nowMs),
      ownerArg(input),
      input.ts,
      JSON.stringify(input.lengths),
      String(input.ttlMs),
      input.shallow ? "1" : "",
      input.requireHead ? "1" : "",
      JSON.stringify(input.deltaMarked),
      JSON.stringify(input.valueless),
      input.unversioned.length > 0 ? JSON.stringify(input.unversioned) : "",
      String(input.filter.length),
    ];
    // Pairs pushed one by one: flat() and spreads cost more than the rest of building the call.
    for (const [field, json] of input.filter) args.push(field, json);
    args.push(String(input.blobs.length));
    for (const [field, value] of input.blobs) args.push(field, value);
    const reply = await this.run("put", "put", [this.keys.threadBase(input.threadId)], args);
    if (reply === ScriptCode.RESEND) return { resend: true };
    if (isCode(reply)) throw codeError(reply, { operation: "put", threadId: input.threadId });
    const [, owner, deadline, newNamespace, moved, nodes, pruneLeft, moving, statusSeq, stop] = reply as Reply[];
    const stepped = moving === 1 ? await this.moveTtl("put", input.threadId) : undefined;
    return {
      resend: false,
      owner: owner ? text(owner) : null,
      deadline: stepped?.pushedDeadline ?? (deadline as number),
      newNamespace: newNamespace === 1,
      deadlineMoved: stepped !== undefined || moved === 1,
      lists: new Map(pairs(nodes as Reply[]).map(([field, node]) => [text(field), text(node)])),
      pruneLeft: pruneLeft === 1,
      statusSeq: statusSeq as number,
      stop: text(stop),
    };
  }

  /**
   * putWrites: the writes of one task, one hash field per (task id, index). `overwrite` writes
   * (LangGraph's special channels) replace what is there; the others are stored only if absent.
   * `outcome`: the task failed or was interrupted (with its interrupts, a JSON array). Returns how
   * many were stored and, when the thread's status changed, its owner and new status.
   *
   * The tasks of a graph step that finish together send their writes in the same turn of the
   * event loop: those of one thread wait here and go to Redis as one call of the script when the
   * turn ends, or before the next script call for the thread, which so reaches Redis after them.
   * One round trip and one script for all of them (at most `budget.writeGroups` and about 1 MiB);
   * if it fails, each of them fails, and none is stored.
   */
  putWrites(
    threadId: string,
    ns: string,
    checkpointId: string,
    ttlMs: number,
    writes: ReadonlyArray<Omit<RawWrite, "packed"> & { overwrite: boolean }>,
    outcome: { taskId: string; status: "error" } | { taskId: string; status: "interrupted"; interrupts: string } | undefined,
  ): Promise<{ stored: number; changed?: { owner: string | null } & ThreadStatus }> {
    const args: Array<string | Buffer> = [ns, checkpointId];
    if (outcome === undefined) args.push("", "", "");
    else args.push(outcome.status, outcome.taskId, outcome.status === "interrupted" ? outcome.interrupts : "");
    args.push(String(writes.length));
    let bytes = 0;
    for (const w of writes) {
      const packed = packWrite(w);
      bytes += packed.byteLength;
      args.push(w.overwrite ? "s" : "n", `${w.taskId}:${w.idx}`, packed);
    }
    const base = this.keys.threadBase(threadId);
    let batch = this.#writes.get(base);
    if (batch !== undefined && (batch.ttlMs !== ttlMs || batch.bytes + bytes > WRITES_BATCH_BYTES)) {
      this.#sendWrites(base, batch);
      batch = undefined;
    }
    if (batch === undefined) {
      const created: WriteBatch = { threadId, ttlMs, groups: [], bytes: 0 };
      this.#writes.set(base, created);
      if (this.budget.writeGroups > 1) setImmediate(() => this.#sendWrites(base, created));
      batch = created;
    }
    batch.bytes += bytes;
    const done = new Promise<Awaited<ReturnType<Scripts["putWrites"]>>>((resolve, reject) => batch.groups.push({ args, resolve, reject }));
    if (batch.groups.length >= this.budget.writeGroups) this.#sendWrites(base, batch);
    return done;
  }

  /** Sends a thread's batch of writes, unless it went already. */
  #sendWrites(base: string, batch: WriteBatch): void {
    if (this.#writes.get(base) !== batch) return;
    this.#writes.delete(base);
    const args: Array<string | Buffer> = [String(batch.ttlMs), String(batch.groups.length)];
    for (const group of batch.groups) for (const arg of group.args) args.push(arg);
    this.thread("putWrites", "putWrites", batch.threadId, args).then(
      (reply) => {
        const replies = reply as Reply[][];
        batch.groups.forEach((group, i) => {
          const [stored, owner, seq, st, interrupts] = replies[i] ?? [];
          if (seq === undefined) group.resolve({ stored: stored as number });
          else group.resolve({ stored: stored as number, changed: { owner: owner ? text(owner) : null, seq: seq as number, status: text(st) as ThreadStatus["status"], interrupts: text(interrupts) } });
        });
      },
      (err: unknown) => {
        for (const group of batch.groups) group.reject(err);
      },
    );
  }

  /** Sends every batch of writes now (before the client closes). */
  flushWrites(): void {
    for (const [base, batch] of this.#writes) this.#sendWrites(base, batch);
  }

  /**
   * deleteThread: every key of a thread. The first step makes the thread absent at once; the
   * steps after it each remove up to `step` keys of what it held, one round trip each,
   * so that no step holds Redis long (see delete-thread-1.lua). Throws NotFoundError when it is
   * someone else's (nothing removed).
   */
  async deleteThread(threadId: string, options: OwnerCheck): Promise<{ removed: number; owner: string | null }> {
    const step = async (further: boolean) => (await this.thread("deleteThread", "deleteThread", threadId, [ownerArg(options), String(this.budget.step), further ? "1" : ""])) as Reply[];
    const [first, owner, more] = await step(false);
    let total = first as number;
    for (let again = more === 1; again; ) {
      const [removed, , left] = await step(true);
      total += removed as number;
      again = left === 1;
    }
    return { removed: total, owner: owner ? text(owner) : null };
  }

  /**
   * prune: keeps the newest `keepLast` checkpoints of each namespace (or of `ns` alone); returns
   * how many went. In calls of at most `step` checkpoints or channel values removed each, one
   * round trip each (see includes/prune.lua).
   */
  async prune(threadId: string, keepLast: number, options: ForOperation & { ns?: string } = {}): Promise<number> {
    const args = [String(keepLast), String(this.budget.step), options.ns === undefined ? "" : `=${options.ns}`];
    let total = 0;
    for (;;) {
      const [removed, more] = (await this.thread(options.operation ?? "prune", "prune", threadId, args)) as number[];
      total += removed!;
      if (more !== 1) return total;
    }
  }

  // -------------------------------------------------------------------------------------------
  // DeltaChannel walks and whole-state reads

  /**
   * deltaHistory: the walk behind getDeltaChannelHistory, from a checkpoint's parent or resumed
   * from a frontier. `lenient` ("i,j") are the channels whose walk ends quietly at a checkpoint
   * that is gone; with a target, the script decides them (and returns them, for resuming).
   */
  async deltaHistory(
    threadId: string,
    ns: string,
    walk: OwnerCheck & ForOperation & WalkCache & { channels: readonly string[]; lenient?: string },
    start: WalkStart,
  ): Promise<{ validator: string; target: string | null; parent: string | null; lenient: string } & Walk> {
    const position = "target" in start ? ["target", start.target ?? ""] : ["resume", ...start.resume.flatMap((e) => [e.id, e.child ?? "", e.channels.map((c) => walk.channels.indexOf(c) + 1).join(",")])];
    const [validator, target, parent, facts, frontier, lenient] = (await this.thread(walk.operation ?? "getDeltaChannelHistory", "deltaHistory", threadId, [
      ns,
      ownerArg(walk),
      walk.validator,
      ...this.walkArgs(walk.channels, walk.known, walk.lenient ?? ""),
      ...position,
    ])) as Reply[];
    return { validator: text(validator), target: target ? text(target) : null, parent: parent ? text(parent) : null, lenient: text(lenient), ...parseWalk(walk.channels, facts, frontier) };
  }

  /**
   * readState: a checkpoint as getTuple reads it, and the walk of those of `channels` it rebuilds
   * from its ancestors (`rebuilds`).
   */
  async readState(threadId: string, ns: string, checkpointId: string | undefined, walk: OwnerCheck & WalkCache & { channels: readonly string[] }): Promise<{ validator: string; tuple: StoredTuple | null; rebuilds: string[] } & Walk> {
    const [validator, tuple, rebuilt, facts, frontier] = (await this.thread("readState", "readState", threadId, [ns, checkpointId ?? "", ownerArg(walk), walk.validator, ...this.walkArgs(walk.channels, walk.known, "")], {
      checkpointId,
    })) as Reply[];
    return {
      validator: text(validator),
      tuple: parseTuple(tuple),
      rebuilds: (rebuilt as Reply[]).map((i) => walk.channels[Number(i) - 1]!),
      ...parseWalk(walk.channels, facts, frontier),
    };
  }

  /**
   * readTree: the checkpoints of a namespace after `cursor` as tree nodes, `step` of them at most,
   * messages where the tree needs them. `next` is the cursor of the next call, null after the
   * last, which alone has the head, names and walk; `walkedBefore`, the rows of earlier calls the
   * walk starts from.
   */
  async readTree(
    threadId: string,
    ns: string,
    options: OwnerCheck & { channel: string; blobPrefix: string; cursor: string },
  ): Promise<{ head: string | null; names: Map<string, string>; rows: TreeRow[]; blobs: Array<[string, Buffer]>; owner: string | null; validator: string; next: string | null; walkedBefore: string[] } & Walk> {
    const args = [...this.messagesWalkArgs(ns, options), options.cursor, String(this.budget.step)];
    const [head, names, nodes, blobs, owner, facts, frontier, validator, next, walkedBefore] = (await this.thread("getTree", "readTree", threadId, args)) as Reply[];
    const flat = nodes as Reply[];
    const rows: TreeRow[] = [];
    for (let i = 0; i + 5 < flat.length; i += 6) {
      const [count, how] = [flat[i + 4] as number, flat[i + 5] as number];
      rows.push({ id: text(flat[i]), parent: flat[i + 1] ? text(flat[i + 1]) : null, ts: text(flat[i + 2]), field: flat[i + 3] ? text(flat[i + 3]) : null, count: count >= 0 ? count : null, rebuilt: how > 0, walked: how === 2 });
    }
    return {
      head: head ? text(head) : null,
      names: new Map(pairs(names as Buffer[]).map(([k, v]) => [text(k), text(v)])),
      rows,
      blobs: pairs(blobs as Reply[]).map(([field, value]) => [text(field), blobValue(value)]),
      owner: owner ? text(owner) : null,
      validator: text(validator),
      next: next ? text(next) : null,
      walkedBefore: (walkedBefore as Reply[]).map(text),
      ...parseWalk([options.channel], facts, frontier),
    };
  }

  /** readBranches: the branch tips of a namespace, with names, counts and the head. */
  async readBranches(threadId: string, ns: string, options: OwnerCheck & { channel: string; blobPrefix: string }): Promise<{ head: string | null; rows: BranchRow[]; validator: string } & Walk> {
    const [head, leaves, facts, frontier, validator] = (await this.thread("listBranches", "readBranches", threadId, this.messagesWalkArgs(ns, options))) as Reply[];
    const flat = leaves as Reply[];
    const rows: BranchRow[] = [];
    for (let i = 0; i + 5 < flat.length; i += 6) {
      const known = flat[i + 3] as Reply;
      const messages = typeof known === "number" ? (known >= 0 ? { count: known } : { rebuilt: true as const }) : { stored: blobValue(known) };
      rows.push({ id: text(flat[i]), name: flat[i + 1] ? text(flat[i + 1]) : null, ts: text(flat[i + 2]), messages, through: flat[i + 4] === 1, parent: flat[i + 5] ? text(flat[i + 5]) : null });
    }
    return { head: head ? text(head) : null, rows, validator: text(validator), ...parseWalk([options.channel], facts, frontier) };
  }

  // -------------------------------------------------------------------------------------------
  // Forks, conversations' thread side, branches, TTL

  /** forkRead: the source half of a fork (the head without an id), as stored bytes; null when there is no such checkpoint. */
  async forkRead(
    threadId: string,
    ns: string,
    checkpointId: string | undefined,
    options: OwnerCheck,
  ): Promise<({ id: string; node: Buffer[]; blobs: Buffer[]; writes: Buffer[]; parent: string | null; channels: string[]; validator: string } & Walk) | null> {
    const reply = (await this.thread("forkConversation", "forkRead", threadId, [ns, checkpointId ?? "", ownerArg(options), ...this.budgetArgs()])) as Reply;
    if (!Array.isArray(reply)) return null;
    const [id, node, blobs, writes, parent, channelsRaw, facts, frontier, validator] = reply;
    const channels = (channelsRaw as Buffer[]).map((c) => text(c));
    return {
      id: text(id),
      node: node as Buffer[],
      blobs: (blobs as Reply[]).map((value, i) => (i % 2 === 0 ? (value as Buffer) : blobValue(value))),
      writes: writes as Buffer[],
      parent: parent ? text(parent) : null,
      channels,
      validator: text(validator),
      ...parseWalk(channels, facts, frontier),
    };
  }

  /**
   * forkPlant: a new thread holding the given checkpoints, its head with `status` (from its
   * pending writes; interrupts per task, JSON). Throws ConversationExistsError. Returns the deadline.
   */
  async forkPlant(
    threadId: string,
    ns: string,
    input: { owner: string; nowMs: number; ttlMs: number; status: { status: "" | "interrupted" | "error"; interrupts: ReadonlyArray<readonly [string, string]> }; checkpoints: readonly PlantedCheckpoint[] },
  ): Promise<number> {
    const [deadline, moving] = (await this.thread("forkConversation", "forkPlant", threadId, [
      ns,
      ownerArg(input),
      String(input.nowMs),
      String(input.ttlMs),
      input.status.status,
      String(input.status.interrupts.length),
      ...input.status.interrupts.flat(),
      String(input.checkpoints.length),
      ...input.checkpoints.flatMap((c) => [c.id, String(c.node.length / 2), ...c.node, String(c.blobs.length / 2), ...c.blobs, String(c.writes.length / 2), ...c.writes]),
    ])) as number[];
    return moving === 1 ? (await this.moveTtl("forkConversation", threadId)).pushedDeadline : deadline!;
  }

  /**
   * claimThread: makes `owner` the owner of a thread; `fresh` accepts only a thread that does not
   * exist (imports). Throws ConversationExistsError when the thread is someone else's or (fresh)
   * exists: either way it has a conversation the caller cannot create.
   */
  async claimThread(threadId: string, input: ForOperation & { owner: string; nowMs: number; fresh: boolean; ttlMs: number }): Promise<{ again: boolean; deadline: number; status: ThreadStatus }> {
    const operation = input.operation ?? "createConversation";
    const reply = await this.run(operation, "claimThread", [this.keys.threadBase(threadId)], [ownerArg(input), String(input.nowMs), input.fresh ? "fresh" : "", String(input.ttlMs)]);
    if (isCode(reply)) throw codeError(reply === ScriptCode.NOT_OWNER ? ScriptCode.EXISTS : reply, { operation, threadId });
    const [claimed, deadline, moving, seq, status, interrupts] = reply as Reply[];
    return {
      again: claimed === 2,
      deadline: moving === 1 ? (await this.moveTtl(operation, threadId)).pushedDeadline : (deadline as number),
      status: { seq: Number(text(seq)), status: text(status) as ThreadStatus["status"], interrupts: text(interrupts) },
    };
  }

  /** setHead: the checkpoint a thread continues from. Throws NotFoundError (no such checkpoint, or someone else's). */
  async setHead(threadId: string, ns: string, checkpointId: string, options: OwnerCheck & ForOperation & { ttlMs: number }): Promise<void> {
    const reply = await this.thread(options.operation ?? "switchBranch", "setHead", threadId, [ns, checkpointId, ownerArg(options), String(options.ttlMs)], { checkpointId });
    if (reply === null) throw new NotFoundError(threadId, checkpointId);
  }

  /** nameBranch: names (or, with null, unnames) a checkpoint. Throws NotFoundError like setHead. */
  async nameBranch(threadId: string, ns: string, checkpointId: string, name: string | null, options: OwnerCheck & ForOperation & { ttlMs: number }): Promise<void> {
    const reply = await this.thread(options.operation ?? "nameBranch", "nameBranch", threadId, [ns, checkpointId, name ?? "", ownerArg(options), String(options.ttlMs)], { checkpointId });
    if (reply === null) throw new NotFoundError(threadId, checkpointId);
  }

  /** setTtl: a thread's own TTL, pinning, or the default. The new deadline (0: none), or null when the thread does not exist. */
  async setTtl(threadId: string, ttl: ThreadTtl, options: OwnerCheck & { defaultTtlMs: number }): Promise<number | null> {
    if (typeof ttl === "object") await this.checkEviction("setConversationTTL", true);
    const own = ttl === "pinned" ? "0" : ttl === "default" ? "" : String(ttl.ms);
    const reply = (await this.thread("setConversationTTL", "setTtl", threadId, [own, String(options.defaultTtlMs), ownerArg(options)])) as number[] | null;
    if (reply === null) return null;
    const [deadline, moving] = reply;
    return moving === 1 ? (await this.moveTtl("setConversationTTL", threadId)).pushedDeadline : deadline!;
  }

  /**
   * ttlMove: steps a big thread to the deadline a script started moving it to (includes/ttl.lua),
   * `step` checkpoints per call, one round trip each, right after that script: the deadline in
   * force once done, and the owner (whose listing learns it).
   */
  private async moveTtl(operation: string, threadId: string): Promise<{ pushedDeadline: number; owner: string | null }> {
    for (;;) {
      const [done, deadline, owner] = (await this.thread(operation, "ttlMove", threadId, [String(this.budget.step)])) as Reply[];
      if (done === 1) return { pushedDeadline: deadline as number, owner: owner ? text(owner) : null };
    }
  }

  /**
   * threadStats: what one thread holds (checkpoints, keys, bytes) and whether it has an owner, in
   * calls of up to `step` checkpoints each (see thread-stats-1.lua).
   */
  async threadStats(threadId: string): Promise<{ checkpoints: number; keys: number; bytes: number; owned: boolean }> {
    const total = { checkpoints: 0, keys: 0, bytes: 0, owned: false };
    let cursor: [string, string] = ["", ""];
    for (;;) {
      const [checkpoints, keys, bytes, owned, ns, id] = (await this.thread("stats", "threadStats", threadId, [...cursor, String(this.budget.step)])) as Reply[];
      total.checkpoints += checkpoints as number;
      total.keys += keys as number;
      total.bytes += bytes as number;
      total.owned = owned === 1;
      if (!id) return total;
      cursor = [text(ns), text(id)];
    }
  }

  // -------------------------------------------------------------------------------------------
  // A user's conversation indexes (the user's slot)

  /** indexConversation: a new conversation's record and index entries. Throws ConversationExistsError. Returns the activity score. */
  async indexConversation(
    userId: string,
    input: ForOperation & { threadId: string; record: string; agentId: string | null; deadline: number; tags: readonly string[]; custom: readonly string[]; status: ThreadStatus },
  ): Promise<string> {
    const { status } = input;
    const args = [input.threadId, input.record, input.agentId ?? "", String(input.deadline), String(status.seq), status.status, status.interrupts, String(input.custom.length), ...input.custom, ...input.tags];
    return text((await this.user(input.operation ?? "createConversation", "indexConversation", userId, input.threadId, args)) as Reply);
  }

  /** getConversation: a conversation's record, activity score and status, or null. */
  async getConversation(userId: string, threadId: string, options: ForOperation = {}): Promise<ListedConversation | null> {
    const reply = (await this.user(options.operation ?? "getConversation", "getConversation", userId, threadId, [threadId])) as Reply[] | null;
    return reply ? { threadId, record: reply[0] as Buffer, score: text(reply[1]), status: text(reply[2]) as ConversationStatus, interrupts: text(reply[3]) } : null;
  }

  /**
   * listConversations: one page of a user's conversations. A call walks at most `maxWalked`
   * conversations; a filter that matches little (or a deep offset) goes on in further calls from
   * where the walk stopped, only the first one counting the total (list-conversations-1.lua).
   */
  async listConversations(
    userId: string,
    query: {
      order: "asc" | "desc";
      sortBy: "updated" | "created";
      after: string;
      offset: number;
      limit: number;
      agentId: string | null;
      status: ConversationStatus | null;
      custom: readonly string[];
      tags: readonly string[];
    },
  ): Promise<{ total: number; more: boolean; continueAfter: string; rows: ListedConversation[] }> {
    const rows: Array<ListedConversation & { order: string }> = [];
    let { after, offset, limit } = query;
    let total = 0;
    for (let first = true; ; first = false) {
      const args = [
        query.order,
        after,
        String(offset),
        String(limit),
        query.agentId ?? "",
        String(this.budget.maxWalked),
        first ? "1" : "",
        query.sortBy,
        query.status ?? "",
        String(query.custom.length),
        ...query.custom,
        ...query.tags,
      ];
      const [counted, more, continueAfter, stopped, skipped, pending, ...flat] = (await this.user("listConversations", "listConversations", userId, "", args)) as Reply[];
      if (first) total = (counted as number) < 0 ? await this.countConversations(userId, query, text(pending)) : (counted as number);
      const before = rows.length;
      for (let i = 0; i + 5 < flat.length; i += 6) {
        rows.push({ threadId: text(flat[i]), record: flat[i + 1] as Buffer, score: text(flat[i + 2]), order: text(flat[i + 3]), status: text(flat[i + 4]) as ConversationStatus, interrupts: text(flat[i + 5]) });
      }
      if (stopped !== 1) {
        // The page ends after the last conversation this call passed, or the last one returned.
        const end = text(continueAfter) || (rows.at(-1)?.order ?? "");
        return { total, more: more === 1, continueAfter: end, rows };
      }
      offset -= skipped as number;
      limit -= rows.length - before;
      after = text(continueAfter);
    }
  }

  /**
   * countConversations: the total of a listing whose smallest filter index is larger than one
   * short script counts (list-conversations-1.lua answers -1), in steps of COUNT_STEP members of
   * that index, one round trip each (count-conversations-1.lua). The last step keeps the total
   * with the indexes' `generations` the count started at, for the next pages of the listing.
   */
  private async countConversations(
    userId: string,
    query: { agentId: string | null; status: ConversationStatus | null; custom: readonly string[]; tags: readonly string[] },
    generations: string,
  ): Promise<number> {
    const filters = [query.agentId ?? "", query.status ?? "", String(query.custom.length), ...query.custom, ...query.tags];
    let total = 0;
    let pivot = "";
    let from = "";
    do {
      const [count, index, last] = (await this.user("listConversations", "countConversations", userId, "", [pivot, from, String(COUNT_STEP), generations, String(total), ...filters])) as Reply[];
      total += count as number;
      pivot = String(index);
      from = text(last);
    } while (from !== "");
    return total;
  }

  /**
   * updateConversation: replaces a record if it is still `current` (compare-and-set). The new
   * activity score, or null when there is no such conversation; throws ChangedError when it changed.
   */
  async updateConversation(
    userId: string,
    threadId: string,
    input: { current: Buffer; next: string; oldAgentId: string | null; newAgentId: string | null; oldTags: readonly string[]; newTags: readonly string[]; custom: readonly string[] },
  ): Promise<string | null> {
    const reply = await this.user("updateConversation", "updateConversation", userId, threadId, [
      threadId,
      input.current,
      input.next,
      input.oldAgentId ?? "",
      input.newAgentId ?? "",
      String(input.oldTags.length),
      String(input.newTags.length),
      ...input.oldTags,
      ...input.newTags,
      ...input.custom,
    ]);
    return reply === null ? null : text(reply as Reply);
  }

  /** unindexConversation: drops a conversation from its user's indexes; whether it was there. */
  async unindexConversation(userId: string, threadId: string, options: ForOperation = {}): Promise<boolean> {
    return (await this.user(options.operation ?? "deleteConversation", "unindexConversation", userId, threadId, [threadId])) === 1;
  }

  /**
   * touchConversation: records activity (moves the conversation up) and the thread's deadline
   * (left as it is when undefined).
   */
  async touchConversation(userId: string, threadId: string, change: ForOperation & { deadline?: number; activity: boolean }): Promise<boolean> {
    const args = [threadId, change.deadline === undefined ? "" : String(change.deadline), change.activity ? "1" : "0"];
    return (await this.user(change.operation ?? "touchConversation", "touchConversation", userId, threadId, args)) === 1;
  }

  /**
   * setConversationStatus: a thread's status, as its scripts reported it, into its owner's status
   * indexes; an update older than the one there changes nothing.
   */
  async setConversationStatus(userId: string, threadId: string, status: ThreadStatus): Promise<void> {
    await this.user("setConversationStatus", "setConversationStatus", userId, threadId, [threadId, String(status.seq), status.status, status.interrupts]);
  }

  /**
   * leaseConversation: the owner's side of a run's lease: busy until `deadline` (take, with the
   * lease's generation; renew), or back to its own status (drop).
   */
  async leaseConversation(userId: string, threadId: string, change: { mode: "take"; token: string; deadline: number; generation: number } | { mode: "renew" | "drop"; token: string; deadline: number }): Promise<void> {
    await this.user("run", "leaseConversation", userId, threadId, [threadId, change.mode, change.token, String(change.deadline), change.mode === "take" ? String(change.generation) : ""]);
  }

  /**
   * runLease: the thread's side of a run's lease (run-lease-1.lua). `take` and `wait` answer
   * whether the run holds it (until when, and the lease's generation), or how many wait ahead;
   * NotFoundError when the thread is not the user's.
   */
  async runLease(
    threadId: string,
    request: { mode: "take" | "wait" | "interrupt"; token: string; ttlMs: number; owner: string; patienceMs: number },
  ): Promise<{ held: true; deadline: number; generation: number } | { held: false; ahead: number | null }> {
    const reply = (await this.thread("run", "runLease", threadId, [request.mode, request.token, String(request.ttlMs), ownerArg(request), String(request.patienceMs)])) as number[];
    const [held, value, generation] = reply;
    if (held === 1) return { held: true, deadline: value!, generation: generation! };
    return { held: false, ahead: held === 2 ? value! : null };
  }

  /** runLease renew: the lease's new deadline, or 0 when the run no longer holds it. */
  async renewLease(threadId: string, token: string, ttlMs: number): Promise<number> {
    return (await this.thread("run", "runLease", threadId, ["renew", token, String(ttlMs)])) as number;
  }

  /** runLease release (returns the thread's status, to re-send) or leave (a waiter gives up). */
  async endLease(threadId: string, mode: "release", token: string): Promise<ThreadStatus>;
  async endLease(threadId: string, mode: "leave", token: string): Promise<void>;
  async endLease(threadId: string, mode: "release" | "leave", token: string): Promise<ThreadStatus | void> {
    const reply = await this.thread("run", "runLease", threadId, [mode, token, "0"]);
    if (mode === "leave") return;
    const [seq, status, interrupts] = reply as Reply[];
    return { seq: Number(text(seq)), status: text(status) as ThreadStatus["status"], interrupts: text(interrupts) };
  }

  // -------------------------------------------------------------------------------------------
  // The thread index (its own slot): plain commands, for the public operation given

  /**
   * Enters a thread in the thread index at `atMs`. `keepEarlier`: not if it is there already (a
   * thread's further namespaces); else its entry is replaced (a new thread planted whole).
   */
  indexThread(operation: string, threadId: string, atMs: number, options: { keepEarlier: boolean }): Promise<unknown> {
    const key = this.keys.threadsIndex();
    return this.plain(operation, () => (options.keepEarlier ? this.client.zadd(key, "NX", atMs, threadId) : this.client.zadd(key, atMs, threadId)));
  }

  /** Removes a thread from the thread index. */
  threadGone(operation: string, threadId: string): Promise<unknown> {
    return this.plain(operation, () => this.client.zrem(this.keys.threadsIndex(), threadId));
  }

  /** Every thread id of the prefix, by first appearance. */
  allThreads(operation: string, order: "oldest first" | "newest first"): Promise<string[]> {
    return this.plain(operation, () => (order === "oldest first" ? this.client.zrange(this.keys.threadsIndex(), 0, -1) : this.client.zrevrange(this.keys.threadsIndex(), 0, -1)));
  }

  // -------------------------------------------------------------------------------------------

  private budgetArgs(): string[] {
    return [String(this.budget.maxNodes), String(this.budget.maxBytes)];
  }

  /** ARGV of the scripts that read a namespace's messages channel (readTree, readBranches). */
  private messagesWalkArgs(ns: string, options: OwnerCheck & { channel: string; blobPrefix: string }): string[] {
    return [ns, ownerArg(options), options.blobPrefix, options.channel, ...this.budgetArgs()];
  }

  /** walk_args in includes/delta-walk.lua. */
  private walkArgs(channels: readonly string[], known: readonly string[], lenient: string): string[] {
    return [...this.budgetArgs(), String(channels.length), ...channels, String(known.length), ...known, lenient];
  }

  /** A script on a thread's slot: its codes become errors about that thread. */
  private async thread(operation: string, name: ScriptName, threadId: string, args: Array<string | Buffer>, context: Partial<CodeContext> = {}): Promise<unknown> {
    const reply = await this.run(operation, name, [this.keys.threadBase(threadId)], args);
    if (isCode(reply)) throw codeError(reply, { operation, threadId, ...context });
    return reply;
  }

  /** A script on a user's slot: its codes become errors about the conversation `threadId`. */
  private async user(operation: string, name: ScriptName, userId: string, threadId: string, args: Array<string | Buffer>): Promise<unknown> {
    const reply = await this.run(operation, name, [this.keys.userBase(userId)], args);
    if (isCode(reply)) throw codeError(reply, { operation, threadId });
    return reply;
  }

  /**
   * Refuses a Redis that may evict the saver's keys, on the first call of this saver (one `INFO`
   * per client, shared by the savers on it); `withTtl` for a call that gives a thread a TTL of its
   * own. Nothing is sent before it passes.
   */
  private async checkEviction(operation: string, withTtl: boolean): Promise<void> {
    if (this.#safety.allowEviction) return;
    const policies = await maxmemoryPolicies(this.client).catch((err: unknown) => {
      throw new StorageError(operation, new Error(`could not read maxmemory-policy with INFO memory (pass allowEviction: true to skip the check): ${String(err)}`));
    });
    for (const policy of policies) refuseEviction(policy, withTtl || this.#safety.ttl);
    this.#checked = true;
  }

  /**
   * Runs one script (functions.ts); replies come back as Buffers, so serde bytes stay untouched.
   * A thread's writes waiting to go (putWrites) go first: calls reach Redis in the order made.
   */
  private run(operation: string, name: ScriptName, keys: string[], args: Array<string | Buffer>): Promise<unknown> {
    const waiting = name === "putWrites" ? undefined : this.#writes.get(keys[0]!);
    if (waiting !== undefined) this.#sendWrites(keys[0]!, waiting);
    if (!this.#checked) return this.checkEviction(operation, false).then(() => this.run(operation, name, keys, args));
    const durability = this.#safety.durability;
    if (durability !== undefined && WRITING.has(name)) return this.runDurably(operation, name, keys, args, durability);
    return callScript(this.client, luaScripts[name], keys, args).catch((err: unknown) => {
      throw new StorageError(operation, missingData(err) ?? err);
    });
  }

  /**
   * A writing script followed by `WAIT replicas timeout` in the same pipeline: one write to the
   * socket, one round trip, and WAIT runs on the node that ran the script (on a Cluster too: the
   * pipeline goes to the node of the script's key). Fewer acknowledgements than asked for is a
   * DurabilityError; the write stays on the primary either way.
   */
  private async runDurably(operation: string, name: ScriptName, keys: string[], args: Array<string | Buffer>, durability: { replicas: number; timeoutMs: number }): Promise<unknown> {
    let results: Array<[Error | null, unknown]>;
    try {
      results = await callScriptWith(this.client, luaScripts[name], keys, args, (pipeline) => void pipeline.wait!(durability.replicas, durability.timeoutMs));
    } catch (err) {
      throw new StorageError(operation, err);
    }
    const [script, wait] = results;
    if (script === undefined || wait === undefined) throw new StorageError(operation, new Error("the pipeline of the script and WAIT got no reply"));
    if (script[0] !== null) throw new StorageError(operation, missingData(script[0]) ?? script[0]);
    if (wait[0] !== null) throw new StorageError(operation, wait[0]);
    const acknowledged = Number(wait[1]);
    if (!isCode(script[1]) && acknowledged < durability.replicas) throw new DurabilityError(operation, acknowledged, durability.replicas, durability.timeoutMs);
    return script[1];
  }

  private plain<T>(operation: string, command: () => Promise<T>): Promise<T> {
    if (!this.#checked) return this.checkEviction(operation, false).then(() => this.plain(operation, command));
    return command().catch((err: unknown) => {
      throw new StorageError(operation, err);
    });
  }
}

/** The owner ARGV of the scripts that check one: "" stands for "no check" there, so never for a user. */
function ownerArg(check: OwnerCheck): string {
  if (check.owner === "") throw new InvalidInputError("an owner check needs a non-empty user id");
  return check.owner ?? "";
}

function ttlArg(ms: number | undefined): string {
  return ms === undefined ? "" : String(ms);
}

/**
 * A script's report that a thread lost data it references (includes/missing.lua), as an error
 * that says so; `undefined` for any other error. Redis appends the script's sha or function name, and line.
 */
function missingData(err: unknown): Error | undefined {
  const match = err instanceof Error ? /^LGTREE_MISSING (.*?)(?: script: \w+, on @user_(?:script|function):\d+\.)?$/s.exec(err.message) : null;
  if (!match) return undefined;
  return new Error(`the thread is missing data it references: ${match[1]} (evicted, or removed outside this library); nothing was read from it`, { cause: err });
}
