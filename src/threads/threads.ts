/**
 * Threads: every operation on a thread's keys, for the saver (LangGraph's contract) and the
 * conversation layer alike. An operation acts for a user when given `owner` (the thread must be
 * theirs: a wrong owner is a NotFoundError, as a missing thread is), and for nobody in particular
 * without it. Each operation is one script call (one round trip), and DeltaChannel walks that do
 * not fit in one call continue in further bounded calls.
 *
 * Inputs arrive checked (the saver checks LangGraph configs, the manager its zod inputs); this
 * layer composes the scripts, the serde, the history cache and the indexes.
 */
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  ERROR,
  INTERRUPT,
  WRITES_IDX_MAP,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type DeltaChannelHistory,
  type PendingWrite,
} from "@langchain/langgraph-checkpoint";
import { canonicalJson, compareDesc, namesOf } from "../codec.js";
import { InvalidInputError, NotFoundError, StorageError } from "../errors.js";
import type { Indexes } from "../indexes.js";
import { blobField, blobFieldPrefix, metadataField } from "../keys.js";
import { listSpec, parseWrite, type RawFact, type RawSeed, type RawWrite, type StoredTuple, type Walk } from "../scripts/replies.js";
import type { BranchRow, ForOperation, MetadataCondition, OwnerCheck, Scripts, ThreadStatus, TreeRow, WalkCache } from "../scripts/scripts.js";
import { plantFork, type ForkSource } from "./fork.js";
import { HistoryCache, addFacts, completeAt, historyOf, nodeOf, pathToSeed, type WalkStore } from "./history.js";
import { ListCache } from "./lists.js";
import { collect, isDeltaSnapshot, type ListElements, type Serde, type Serialised, type StoredRecord } from "./serde.js";
import { decodeTuple } from "./tuple.js";

/** A checkpoint of a thread. */
export interface CheckpointRef {
  threadId: string;
  ns: string;
  /** Undefined: the namespace's head (its latest checkpoint, or the branch tip it was switched to). */
  checkpointId?: string | undefined;
}

/** A checkpoint of a thread, named by its id. */
export type CheckpointAt = CheckpointRef & { checkpointId: string };

/** The thread-side settings of a saver. */
export interface ThreadsOptions {
  scripts: Scripts;
  indexes: Indexes;
  serde: Serde;
  /** The saver's default TTL in ms, 0 for none. */
  ttlMs: number;
  refreshOnRead: boolean;
  shallow: boolean;
  historyCacheWrites: number;
  /** The saver's first channel version (getNextVersion(undefined)). */
  firstVersion: () => number | string;
}

/** A checkpoint listing: one namespace (undefined: all), one id alone, before an id, a metadata filter. */
export interface ListQuery {
  ns: string | undefined;
  only: string | undefined;
  before: string | undefined;
  filter: Record<string, unknown> | undefined;
  limit: number | undefined;
}

/** A DeltaChannel walk's decoded result, for the conversation layer's readers. */
export type DecodedWalk = WalkStore<CheckpointPendingWrite, unknown>;

/** Tuples per `list` round trip when the caller gave no (or a larger) limit. */
const LIST_PAGE_SIZE = 100;

/** Threads listed concurrently by a listing without a thread id. */
const LIST_THREADS_AT_ONCE = 50;

/** Times a read starts over when the thread changed under a walk of several calls. */
const WALK_ATTEMPTS = 5;

/**
 * Serialised list elements the saver keeps to send only new elements (src/threads/lists.ts): a
 * conversation of 240 messages of 450 bytes is about 110 KB, so this covers some 300 of them.
 */
const LIST_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * The most of each part of one call the saver accepts; more is an InvalidInputError before anything
 * is sent. Each becomes arguments of one script: past some 50,000 arguments the call itself fails
 * (a RangeError in the client, "too many results to unpack" in Lua), and a graph never comes near
 * these (a channel per node and state key; a few writes per task).
 */
const LIMITS = { metadataKeys: 10_000, channels: 10_000, writes: 10_000, filterKeys: 1_000 } as const;

function refuseOver(count: number, limit: number, what: string): void {
  if (count > limit) throw new InvalidInputError(`${what}: ${count}, more than the ${limit} the saver accepts; nothing was written or read`);
}

/** A channel value put sends: packed whole, or a list element by element. */
type SentValue = { channel: string; field: string } & ({ packed: Buffer } | { elements: ListElements });

/** A task's write as putWrites sends it. */
type PackedWrite = Omit<RawWrite, "packed"> & { overwrite: boolean };

/** The thread's validator moved between the calls of one walk: the read starts over. */
class WalkRestart extends Error {}

export class Threads {
  readonly #scripts: Scripts;
  readonly #indexes: Indexes;
  readonly #serde: Serde;
  /** The saver's default TTL in ms, 0 for none. */
  readonly #ttlMs: number;
  readonly #refreshOnRead: boolean;
  readonly #shallow: boolean;
  readonly #history: HistoryCache;
  readonly #lists = new ListCache(LIST_CACHE_BYTES);
  /** The putWrites calls in flight (see writesSettled). */
  readonly #writing = new Set<Promise<void>>();
  /** The runs of this process that hold a thread's lease, by thread (see runningHere). */
  readonly #runs = new Map<string, { stopIf: (asked: string) => void }>();
  readonly #firstVersion: () => number | string;

  constructor(options: ThreadsOptions) {
    this.#scripts = options.scripts;
    this.#indexes = options.indexes;
    this.#serde = options.serde;
    this.#ttlMs = options.ttlMs;
    this.#refreshOnRead = options.refreshOnRead;
    this.#shallow = options.shallow;
    this.#history = new HistoryCache(options.historyCacheWrites);
    this.#firstVersion = options.firstVersion;
  }

  // -------------------------------------------------------------------------------------------
  // Checkpoints

  /** One checkpoint (or the head) as a tuple; undefined when there is none. One round trip. */
  async readTuple(ref: CheckpointRef, acting: OwnerCheck = {}): Promise<CheckpointTuple | undefined> {
    // Lists this process holds the elements of are not sent back: a graph run reads the head it
    // has just written. The map is taken now and read when the reply comes (ListCache.nodes).
    const known = this.#lists.nodes(ref.threadId, ref.ns);
    const read = await this.#scripts.getTuple(ref.threadId, ref.ns, ref.checkpointId, { ...acting, ...this.#refresh(), known });
    if (read.pushedDeadline > 0 && read.owner) await this.#indexes.touched(read.owner, ref.threadId, read.pushedDeadline, { activity: false, deadlineMoved: true });
    if (!read.tuple) return undefined;
    const tuple = await decodeTuple(this.#serde, ref.threadId, read.tuple, this.#firstVersion);
    this.#adoptLists(ref.threadId, read.tuple, tuple);
    return tuple;
  }

  /**
   * A graph run reads its thread (getTuple), then puts the same list and one more element. So that
   * this put neither serialises every element again nor sends them all, the elements just read
   * keep the bytes they were read from, and the list's node becomes the start the next put names
   * (Serde.adoptElements, ListCache). Done before the tuple is handed out, so nothing can have
   * changed an element yet.
   *
   * Only for lists of threads this process has written (or read this way) since it started, the
   * ones it is likely to write again: it costs the read about a tenth more (a walk of each
   * element, measured at 240 messages), which a process that only reads (one that renders state)
   * would pay for nothing. A list this process has just written is not taken apart again: its
   * bytes are the ones the cache holds. (A read of an older checkpoint replaces what the cache
   * holds for the channel: the next put of the head's list then sends it whole, once.)
   */
  #adoptLists(threadId: string, stored: StoredTuple, tuple: CheckpointTuple): void {
    if (stored.lists.size === 0) return;
    const values = tuple.checkpoint.channel_values;
    for (const [channel, version] of Object.entries(tuple.checkpoint.channel_versions ?? {})) {
      const field = blobField(channel, version);
      const node = stored.lists.get(field);
      const value = values[channel];
      if (node === undefined || !Array.isArray(value)) continue;
      const known = this.#lists.known(threadId, stored.ns, channel);
      if (known === undefined) continue;
      const packed = stored.blobs.find(([f]) => f === field)?.[1];
      const elements = packed && this.#serde.adoptElements(value, packed, known.node === node ? known.elements : undefined);
      if (elements) this.#lists.remember(threadId, stored.ns, channel, node, elements.bytes, elements.shapes);
    }
  }

  /**
   * A thread's checkpoints, newest first, a page of up to 100 per round trip. With a filter, a call
   * examines at most 500 checkpoints, so a filter that matches little takes a round trip per 500
   * checkpoints it looks at.
   */
  async *listThread(threadId: string, query: ListQuery): AsyncGenerator<CheckpointTuple> {
    const filter = filterConditions(query.filter);
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    let cursor = query.before === undefined ? undefined : { id: query.before, ns: "" };
    while (remaining > 0) {
      const pageSize = Math.min(remaining, LIST_PAGE_SIZE);
      const page = await this.#scripts.list(threadId, { ns: query.ns, cursor, only: query.only, pageSize, ...this.#refresh(), filter });
      if (!page.exists) {
        // Gone (deleted, expired): its entry in the thread index is stale; readers clean it.
        await this.#indexes.threadGone("list", threadId);
        return;
      }
      if (page.pushedDeadline > 0 && page.owner) await this.#indexes.touched(page.owner, threadId, page.pushedDeadline, { activity: false, deadlineMoved: true });
      for (const stored of page.tuples) {
        const tuple = await decodeTuple(this.#serde, threadId, stored, this.#firstVersion);
        cursor = { id: stored.id, ns: stored.ns };
        remaining -= 1;
        yield tuple;
      }
      // A filtered page may stop early to keep the call short; it says where to go on from.
      if (page.resume !== undefined) cursor = page.resume;
      else if (page.tuples.length < pageSize || query.only !== undefined) return;
    }
  }

  /**
   * Every thread's checkpoints, from the thread index (never a keyspace scan), merged newest
   * first. Meant for administration, not for a request path.
   */
  async listAll(query: ListQuery): Promise<CheckpointTuple[]> {
    const threadIds = await this.#indexes.allThreads("list", "newest first");
    const perThread: CheckpointTuple[] = [];
    for (let i = 0; i < threadIds.length; i += LIST_THREADS_AT_ONCE) {
      const batch = await Promise.all(
        threadIds.slice(i, i + LIST_THREADS_AT_ONCE).map(async (threadId) => {
          const tuples: CheckpointTuple[] = [];
          for await (const tuple of this.listThread(threadId, query)) tuples.push(tuple);
          return tuples;
        }),
      );
      perThread.push(...batch.flat());
    }
    const merged = perThread.sort((a, b) => compareDesc(checkpointIdOf(a), checkpointIdOf(b)));
    return merged.slice(0, query.limit ?? merged.length);
  }

  /**
   * Stores a checkpoint: the values of the channels in `newVersions`; the others are read from the
   * blob of the version the checkpoint names. Atomic, one round trip. Throws NotFoundError (acting
   * for someone who does not own the thread) or ChangedError (requireHead: the head moved on).
   */
  async write(
    at: { threadId: string; ns: string; parentId: string | undefined },
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
    options: OwnerCheck & { requireHead?: boolean } = {},
  ): Promise<RunnableConfig> {
    const { channel_values: values = {}, ...bare } = checkpoint;
    const versions = checkpoint.channel_versions ?? {};
    const channels = namesOf(values);
    refuseOver(namesOf(metadata ?? {}).length, LIMITS.metadataKeys, "put: metadata keys");
    refuseOver(Math.max(channels.length, namesOf(versions).length), LIMITS.channels, "put: channels");

    // A value is stored as a blob when its channel has a version (blobs are shared by the
    // checkpoints that read that version); a value without a version (LangGraph's empty
    // `__pregel_tasks`) travels in the record. The node lists the blobs it holds, so a blob that
    // goes missing later is noticed on read instead of read as an empty channel.
    const stored = channels.filter((c) => c in versions);
    const unversioned = channels.filter((c) => !(c in versions));
    const fields = new Map(stored.map((c) => [c, blobField(c, versions[c]!)]));
    const isNew = (c: string) => newVersions != null && c in newVersions;

    // The checkpoint and its metadata are one serde value: one serialisation here and one
    // deserialisation per read, instead of two. A list is stored element by element when the
    // serde allows it (Serde.dumpElements), each element once per namespace; not in shallow mode,
    // where a thread keeps one checkpoint and a whole value is already linear (and smaller).
    //
    // Each value is serialised at once when this saver's JSON writer writes it (every value of an
    // ordinary graph step); the serde's promises are awaited only for values it must write.
    const recording = this.#serde.record(bare, metadata, unversioned.length > 0 ? Object.fromEntries(unversioned.map((c) => [c, values[c]])) : undefined);
    const serialising = collect(stored.filter(isNew), (c) => this.#sentValue(at, c, values[c], fields.get(c)!), recording);
    const [record, sent] = recording instanceof Promise || serialising instanceof Promise ? await Promise.all([recording, serialising]) : [recording, serialising];
    const filter: Array<readonly [string, string]> = [];
    for (const [key, value] of Object.entries(metadata ?? {})) {
      const json = value === undefined ? undefined : canonicalJsonOrUndefined(value);
      if (json !== undefined) filter.push([metadataField(key), json]);
    }
    // DeltaChannels (LangGraph 1.4) are absent from most checkpoints and rebuilt from ancestors;
    // the script records which ones this checkpoint rebuilds (see includes/delta-walk.lua).
    const deltaMarked = new Set(namesOf((metadata as { counters_since_delta_snapshot?: object } | undefined)?.counters_since_delta_snapshot ?? {}));
    for (const c of stored) if (isDeltaSnapshot(values[c])) deltaMarked.add(c);

    // A list sends only what follows the last version this process stored of it; when that
    // version is gone from Redis (nothing is written then), the lists go again whole.
    const blobs = (known: boolean) =>
      sent.map((v): [string, Buffer] => {
        if (!("elements" in v)) return [v.field, v.packed];
        const start = known ? this.#lists.start(at.threadId, at.ns, v.channel, v.elements.bytes) : undefined;
        return [v.field, listSpec(start, v.elements.bytes.slice(start?.length ?? 0))];
      });
    const put = (known: boolean) => this.#scripts.put({
      threadId: at.threadId,
      ns: at.ns,
      checkpointId: checkpoint.id,
      parentId: at.parentId,
      v: checkpoint.v ?? 4,
      record: record,
      blobFields: stored.map((c) => fields.get(c)!),
      unsentFields: stored.filter((c) => !isNew(c)).map((c) => fields.get(c)!),
      nowMs: Date.now(),
      ...(options.owner !== undefined ? { owner: options.owner } : {}),
      ts: typeof checkpoint.ts === "string" ? checkpoint.ts : "",
      lengths: listLengths(values),
      ttlMs: this.#ttlMs,
      shallow: this.#shallow,
      requireHead: options.requireHead === true,
      deltaMarked: [...deltaMarked],
      valueless: namesOf(versions).filter((c) => !(c in values)),
      unversioned,
      filter,
      blobs: blobs(known),
    });
    const sending = put(true);
    const touchedOwner = this.#indexes.beforePut(at.threadId, options.owner);
    let written = await sending;
    if (written.resend) {
      this.#lists.drop(at.threadId);
      written = await put(false);
    }
    if (written.resend) throw new StorageError("put", new Error("a list sent whole was refused"));
    // A newer run asked the run holding this thread to stop at its next checkpoint: this one.
    if (written.stop !== "") this.#runs.get(at.threadId)?.stopIf(written.stop);
    // The head moved on from an interrupted or failed checkpoint: the owner's index learns that the
    // thread is idle again, as soon as the reply says so (not awaited; rare: once per resume or retry).
    if (written.statusSeq > 0 && written.owner !== null) this.#indexes.statusChanged(written.owner, at.threadId, { seq: written.statusSeq, status: "idle", interrupts: "[]" });
    // A shallow put on a namespace that held many checkpoints removed the oldest 250; the rest go
    // now, in calls as short (rare: once, when a shallow saver meets a long thread).
    if (written.pruneLeft) await this.#scripts.prune(at.threadId, 1, { operation: "put", ns: at.ns });
    for (const v of sent) {
      const node = written.lists.get(v.field);
      if (node !== undefined && "elements" in v) this.#lists.remember(at.threadId, at.ns, v.channel, node, v.elements.bytes, v.elements.shapes);
    }
    // The thread index (its own slot) learns of a thread once, when a namespace of it first
    // appears: sent as the reply arrives, not awaited, so put stays one round trip.
    if (written.newNamespace) this.#indexes.threadAppeared(at.threadId);
    const after = this.#indexes.afterPut(at.threadId, touchedOwner, written);
    if (after !== undefined) await after;
    return { configurable: { thread_id: at.threadId, checkpoint_ns: at.ns, checkpoint_id: checkpoint.id } };
  }

  /** A new channel value as put sends it: a list element by element where it can, else whole. */
  #sentValue(at: { threadId: string; ns: string }, channel: string, value: unknown, field: string): SentValue | Promise<SentValue> {
    const whole = (): SentValue | Promise<SentValue> => {
      const packed = this.#serde.dump(value, `channel "${channel}"`);
      return packed instanceof Promise ? packed.then((p) => ({ channel, field, packed: p })) : { channel, field, packed };
    };
    if (!Array.isArray(value) || this.#shallow) return whole();
    // The version this process put or read last: its unchanged elements are found by place.
    const last = this.#lists.known(at.threadId, at.ns, channel);
    const elements = this.#serde.dumpElements(value, `channel "${channel}"`, last && { bytes: last.elements, shapes: last.shapes });
    const settle = (e: ListElements | undefined) => (e !== undefined ? { channel, field, elements: e } : whole());
    return elements instanceof Promise ? elements.then(settle) : settle(elements);
  }

  /**
   * Waits for every putWrites in flight, those still being serialised included, sending those
   * waiting for the end of the turn now: a client about to close still carries them.
   */
  async writesSettled(): Promise<void> {
    this.#scripts.flushWrites();
    await Promise.allSettled([...this.#writing]);
  }

  /**
   * Stores the writes of one task against a checkpoint. One round trip, shared with the other
   * tasks of the thread that write in the same turn of the event loop (Scripts.putWrites).
   */
  async writeWrites(ref: CheckpointAt, writes: PendingWrite[], taskId: string, taskPath: string): Promise<void> {
    const writing = this.#writeWrites(ref, writes, taskId, taskPath);
    this.#writing.add(writing);
    try {
      await writing;
    } finally {
      this.#writing.delete(writing);
    }
  }

  async #writeWrites(ref: CheckpointAt, writes: PendingWrite[], taskId: string, taskPath: string): Promise<void> {
    refuseOver(writes.length, LIMITS.writes, "putWrites: writes");
    // Serialised at once where this saver's JSON writer can (see write), else through the serde.
    const packing = collect(writes, ([channel, value], i): PackedWrite | Promise<PackedWrite> => {
      // Writes to LangGraph's special channels (error, interrupt, resume, scheduled) overwrite;
      // others are kept only if absent, so a retried task never duplicates a write.
      const special = WRITES_IDX_MAP[channel];
      const pack = ([type, bytes]: [string, Uint8Array]): PackedWrite => ({ overwrite: special !== undefined, taskId, idx: special ?? i, channel, taskPath, type, bytes: Buffer.from(bytes) });
      // Copied: with "bytes", the serde hands back the caller's own array, which may change
      // before the writes go (they wait for the end of the turn, Scripts.putWrites).
      const dumped = this.#serde.dumpTyped(value, `write to channel "${channel}"`);
      return dumped instanceof Promise ? dumped.then(pack) : pack(dumped);
    });
    const packed = packing instanceof Promise ? await packing : packing;
    const reply = await this.#scripts.putWrites(ref.threadId, ref.ns, ref.checkpointId, this.#ttlMs, packed, outcomeOf(writes, taskId));
    // A task of the head failed or was interrupted: the owner's index learns the thread's new
    // status beside the reply (not awaited, so putWrites stays one round trip for the caller).
    const changed = reply.changed;
    if (changed?.owner) this.#indexes.statusChanged(changed.owner, ref.threadId, changed);
  }

  /**
   * Deletes every key of a thread and its index entries (the owner's too). Whether anything was
   * there. Throws NotFoundError when acting for someone who does not own it (nothing removed).
   */
  async remove(threadId: string, acting: OwnerCheck = {}): Promise<boolean> {
    this.#history.drop(threadId);
    this.#lists.drop(threadId);
    const { removed, owner } = await this.#scripts.deleteThread(threadId, acting);
    this.#indexes.ownerIs(threadId, null);
    // The cross-slot index entries go once the thread is gone (never before the owner check).
    const [, unindexed] = await Promise.all([this.#indexes.threadGone("deleteThread", threadId), owner ? this.#indexes.remove(owner, threadId, { operation: "deleteThread" }) : false]);
    return removed > 0 || unindexed;
  }

  /** Keeps the newest `keepLast` checkpoints of every namespace of each thread. How many went. */
  async prune(threadIds: readonly string[], keepLast: number): Promise<number> {
    for (const id of threadIds) this.#lists.drop(id);
    const removed = await Promise.all(threadIds.map((id) => this.#scripts.prune(id, keepLast)));
    return removed.reduce((a, b) => a + b, 0);
  }

  // -------------------------------------------------------------------------------------------
  // DeltaChannel histories and whole state

  /** getDeltaChannelHistory's answer for `channels` at a checkpoint (see RedisSaver). */
  async deltaHistories(ref: CheckpointRef, channels: string[]): Promise<Record<string, DeltaChannelHistory>> {
    const read = await this.#readHistories("getDeltaChannelHistory", ref, { channels }, async (cache) => {
      const first = await this.#scripts.deltaHistory(ref.threadId, ref.ns, { channels, ...cache }, { target: ref.checkpointId });
      return { ...first, rebuilds: channels };
    });
    return read.histories;
  }

  /**
   * A checkpoint as readTuple returns it, with the histories of those of `channels` it rebuilds
   * from its ancestors (DeltaChannels): its whole state, in one round trip when the walk is short.
   */
  async readState(ref: CheckpointRef, options: OwnerCheck & { channels: string[] }): Promise<{ tuple: CheckpointTuple; histories: Record<string, DeltaChannelHistory> } | undefined> {
    let stored: Awaited<ReturnType<Scripts["readState"]>>["tuple"] = null;
    const read = await this.#readHistories("readState", ref, options, async (cache) => {
      const first = await this.#scripts.readState(ref.threadId, ref.ns, ref.checkpointId, { ...options, ...cache });
      stored = first.tuple;
      return { ...first, lenient: "", target: first.tuple?.id ?? null, parent: first.tuple?.parent ?? null };
    });
    if (stored === null) return undefined;
    return { tuple: await decodeTuple(this.#serde, ref.threadId, stored, this.#firstVersion), histories: read.histories };
  }

  /**
   * Every checkpoint of a namespace as tree rows, with the stored messages values the tree needs
   * (deserialised, by blob field) and, for tips that rebuild `channel` from their ancestors, the
   * finished and deserialised walk.
   */
  async readTree(threadId: string, ns: string, options: OwnerCheck & { channel: string }): Promise<{ head: string | null; names: Map<string, string>; rows: TreeRow[]; stored: Map<string, unknown>; walk: DecodedWalk; owner: string | null }> {
    const read = await this.#walkRetrying("getTree", async () => {
      // A namespace of many checkpoints is read in several short calls; a prune or a delete
      // between two of them changes the validator, and the read starts over.
      const rows: TreeRow[] = [];
      const blobs: Array<[string, Buffer]> = [];
      for (let cursor = "", validator: string | undefined; ; ) {
        const part = await this.#scripts.readTree(threadId, ns, { ...options, blobPrefix: blobFieldPrefix(options.channel), cursor });
        if (validator !== undefined && part.validator !== validator) throw new WalkRestart();
        validator = part.validator;
        rows.push(...part.rows);
        blobs.push(...part.blobs);
        if (part.next === null) {
          const walked = new Set(part.walkedBefore);
          for (const row of rows) if (walked.has(row.id)) row.walked = true;
          return { ...part, rows, blobs, facts: await this.#finishWalk(threadId, ns, { ...options, channels: [options.channel] }, part) };
        }
        cursor = part.next;
      }
    });
    const values = await this.#serde.loadMany(read.blobs.map(([, value]) => this.#serde.unpack(value, `channel "${options.channel}"`)));
    return {
      head: read.head,
      names: read.names,
      rows: read.rows,
      stored: new Map(read.blobs.map(([field], i) => [field, values[i]])),
      walk: await this.#decoded(read.facts, [options.channel]),
      owner: read.owner,
    };
  }

  /** The branch tips of a namespace, with their stored messages values deserialised and, for tips that rebuild `channel`, the walk. */
  async readBranches(
    threadId: string,
    ns: string,
    options: OwnerCheck & { channel: string },
  ): Promise<{ head: string | null; rows: Array<Omit<BranchRow, "messages"> & { messages: { count: number } | { stored: unknown } | { rebuilt: true } }>; walk: DecodedWalk }> {
    const read = await this.#walkRetrying("listBranches", async () => {
      const first = await this.#scripts.readBranches(threadId, ns, { ...options, blobPrefix: blobFieldPrefix(options.channel) });
      return { ...first, facts: await this.#finishWalk(threadId, ns, { ...options, channels: [options.channel] }, first) };
    });
    const rows = await Promise.all(
      read.rows.map(async (row) => ("stored" in row.messages ? { ...row, messages: { stored: await this.#serde.load(row.messages.stored, `channel "${options.channel}"`) } } : { ...row, messages: row.messages })),
    );
    return { head: read.head, rows, walk: await this.#decoded(read.facts, [options.channel]) };
  }

  // -------------------------------------------------------------------------------------------
  // Conversations' threads: claims, forks, branches, TTL

  /**
   * A run of this process holds `threadId` under `token` (ConversationManager.run): when a put of
   * the thread comes back saying a newer run asked that token to stop (multitask "interrupt"),
   * `stop` is called. Returns the function that forgets it.
   */
  runningHere(threadId: string, token: string, stop: () => void): () => void {
    const run = { stopIf: (asked: string) => asked === token && stop() };
    this.#runs.set(threadId, run);
    return () => {
      if (this.#runs.get(threadId) === run) this.#runs.delete(threadId);
    };
  }

  /** A run's lease on a thread: take it, or wait in line for it (see run-lease-1.lua). */
  takeLease(threadId: string, request: Parameters<Scripts["runLease"]>[1]): ReturnType<Scripts["runLease"]> {
    return this.#scripts.runLease(threadId, request);
  }

  /** Renews a run's lease: the new deadline, 0 when the run lost it. */
  renewLease(threadId: string, token: string, ttlMs: number): Promise<number> {
    return this.#scripts.renewLease(threadId, token, ttlMs);
  }

  /** Releases a run's lease; the thread's status, for the owner's index. */
  releaseLease(threadId: string, token: string): Promise<ThreadStatus> {
    return this.#scripts.endLease(threadId, "release", token);
  }

  /** A waiting run gives up its place in line. */
  leaveLine(threadId: string, token: string): Promise<void> {
    return this.#scripts.endLease(threadId, "leave", token);
  }

  /** Makes `owner` the owner of a thread (fresh: only of one that does not exist yet). */
  async claim(threadId: string, options: ForOperation & { owner: string; fresh: boolean }): Promise<{ again: boolean; deadline: number; status: ThreadStatus }> {
    const claimed = await this.#scripts.claimThread(threadId, { ...options, nowMs: Date.now(), ttlMs: this.#ttlMs });
    this.#indexes.ownerIs(threadId, options.owner);
    return claimed;
  }

  /**
   * The source half of a shallow fork: a checkpoint of `source` (its head without an id)
   * as stored, with the DeltaChannel history it rebuilds from. Throws NotFoundError (no such
   * checkpoint, or not the owner's).
   */
  async readFork(source: CheckpointRef, acting: OwnerCheck): Promise<ForkSource> {
    const read = await this.#walkRetrying("forkConversation", async () => {
      const first = await this.#scripts.forkRead(source.threadId, source.ns, source.checkpointId, acting);
      if (first === null) return null;
      const store: WalkStore<RawWrite, RawSeed> = new Map();
      addFacts(store, await this.#finishWalk(source.threadId, source.ns, { ...acting, channels: first.channels }, first), first.channels);
      return { ...first, store };
    });
    if (read === null) throw new NotFoundError(source.threadId, source.checkpointId ?? "(head)");
    return read;
  }

  /**
   * The target half of a shallow fork: plants what readFork read as a new thread `target` owned by
   * `owner`. The new thread's deadline. Throws ConversationExistsError when `target` exists. The
   * caller enters the thread in the thread index (next to the owner's, in parallel).
   */
  async plantFork(source: ForkSource, target: string, ns: string, options: { owner: string; nowMs: number }): Promise<{ deadline: number; status: ThreadStatus }> {
    const planted = await plantFork(source, {
      record: async ({ id, ts, versions, values }) => this.#serde.record({ v: 4, id, ts, channel_versions: versions, versions_seen: {} }, { source: "fork", step: -2, parents: {} }, values),
      unversioned: async (packed, channel) => ((await this.#serde.load(packed, "checkpoint")) as StoredRecord).values?.[channel],
    });
    const status = await this.#statusOfWrites(source.writes);
    const deadline = await this.#scripts.forkPlant(target, ns, { owner: options.owner, nowMs: options.nowMs, ttlMs: this.#ttlMs, status, checkpoints: planted });
    this.#indexes.ownerIs(target, options.owner);
    const interrupts = status.interrupts.map(([, json]) => json.slice(1, -1)).filter((json) => json !== "");
    return { deadline, status: status.status === "" ? { seq: 0, status: "idle", interrupts: "[]" } : { seq: 1, status: status.status, interrupts: `[${interrupts.join(",")}]` } };
  }

  /**
   * The status a checkpoint's pending writes give its thread when it is the head (a fork copies
   * them): as the putWrites script notes it, task by task (see outcomeOf).
   */
  async #statusOfWrites(flat: readonly Buffer[]): Promise<{ status: "" | "interrupted" | "error"; interrupts: Array<[string, string]> }> {
    const byTask = new Map<string, RawWrite[]>();
    for (let i = 1; i < flat.length; i += 2) {
      const write = parseWrite(flat[i]!);
      if (write.channel === ERROR || write.channel === INTERRUPT) byTask.set(write.taskId, [...(byTask.get(write.taskId) ?? []), write]);
    }
    let status: "" | "interrupted" | "error" = "";
    const interrupts: Array<[string, string]> = [];
    for (const [taskId, raw] of byTask) {
      const values = await this.#serde.loadMany(raw.map((w) => ({ type: w.type, bytes: w.bytes, what: `write to channel "${w.channel}"` })));
      const outcome = outcomeOf(raw.map((w, i) => [w.channel, values[i]] as PendingWrite), taskId);
      if (outcome?.status === "error") status = "error";
      else if (outcome?.status === "interrupted") {
        if (status === "") status = "interrupted";
        interrupts.push([taskId, outcome.interrupts]);
      }
    }
    return { status, interrupts };
  }

  /** Makes a checkpoint the head of its namespace. */
  setHead(ref: CheckpointAt, acting: OwnerCheck & ForOperation): Promise<void> {
    return this.#scripts.setHead(ref.threadId, ref.ns, ref.checkpointId, { ...acting, ttlMs: this.#ttlMs });
  }

  /** Names (null: unnames) the branches through a checkpoint. */
  nameBranch(ref: CheckpointAt, name: string | null, acting: OwnerCheck & ForOperation): Promise<void> {
    return this.#scripts.nameBranch(ref.threadId, ref.ns, ref.checkpointId, name, { ...acting, ttlMs: this.#ttlMs });
  }

  /**
   * A thread's own TTL in minutes, "pinned" (no expiry) or "default" (the saver's). The new
   * deadline (0: none), or null when the thread does not exist.
   */
  setTtl(threadId: string, ttl: number | "pinned" | "default", acting: OwnerCheck): Promise<number | null> {
    const own = ttl === "pinned" || ttl === "default" ? ttl : { ms: Math.max(1, Math.round(ttl * 60_000)) };
    return this.#scripts.setTtl(threadId, own, { ...acting, defaultTtlMs: this.#ttlMs });
  }

  /** What one thread holds, for the inspector. */
  stats(threadId: string): ReturnType<Scripts["threadStats"]> {
    return this.#scripts.threadStats(threadId);
  }

  // -------------------------------------------------------------------------------------------
  // Walks

  /**
   * Resumes a walk's frontier until nothing is left, one bounded script call each, and returns all
   * its facts. Throws WalkRestart when the thread's validator moved between calls.
   */
  async #finishWalk(threadId: string, ns: string, read: OwnerCheck & { channels: string[]; known?: string[] }, first: Walk & { validator: string; lenient?: string }): Promise<RawFact[]> {
    const facts = [...first.facts];
    for (let frontier = first.frontier; frontier.length > 0; ) {
      const next = await this.#scripts.deltaHistory(
        threadId,
        ns,
        {
          ...(read.owner !== undefined ? { owner: read.owner } : {}),
          operation: "deltaHistory",
          channels: read.channels,
          validator: first.validator,
          known: read.known ?? [],
          lenient: first.lenient ?? "",
        },
        { resume: frontier },
      );
      if (next.validator !== first.validator) throw new WalkRestart();
      facts.push(...next.facts);
      frontier = next.frontier;
    }
    return facts;
  }

  /**
   * The shared half of every DeltaChannel read of one checkpoint: runs the walk `start` begins
   * (told what the cache holds of the thread), finishes it, deserialises what the cache does not
   * hold yet, and reads the histories of `rebuilds` off the cache. Starts over without the cache
   * when the thread changed under a walk of several calls, or when the cache turned out not to
   * hold a path it claimed.
   */
  async #readHistories(
    operation: string,
    ref: CheckpointRef,
    read: OwnerCheck & { channels: string[] },
    start: (cache: WalkCache) => Promise<Walk & { validator: string; lenient: string; target: string | null; parent: string | null; rebuilds: string[] }>,
  ): Promise<{ histories: Record<string, DeltaChannelHistory> }> {
    const { threadId, ns } = ref;
    for (let attempt = 1; ; attempt++) {
      let entry = attempt === 1 ? this.#history.get(threadId, ns) : undefined;
      const candidates: string[] = [];
      const targetNode = ref.checkpointId === undefined ? undefined : entry?.store.get(ref.checkpointId);
      if (targetNode?.parent) candidates.push(targetNode.parent);
      const known = entry ? completeAt(entry.store, [...candidates, ...entry.targets], read.channels) : [];
      const first = await start({ validator: entry?.validator ?? "", known });
      // The script trusted `known` only if the thread's validator was still the cache's.
      const trusted = entry !== undefined && entry.validator === first.validator ? known : [];
      if (entry === undefined || entry.validator !== first.validator) entry = this.#history.reset(threadId, ns, first.validator);
      let facts: RawFact[];
      try {
        facts = await this.#finishWalk(threadId, ns, { ...read, known: trusted }, first);
      } catch (err) {
        if (err instanceof WalkRestart && attempt < WALK_ATTEMPTS) continue;
        if (err instanceof WalkRestart) throw new StorageError(operation, new Error(`the thread kept changing during a read of ${WALK_ATTEMPTS} attempts`));
        throw err;
      }
      const raw: WalkStore<RawWrite, RawSeed> = new Map();
      addFacts(raw, facts, read.channels);
      const added = await this.#decodeWalk(raw, entry.store);
      if (first.target === null) return { histories: {} };
      nodeOf(entry.store, first.target, first.parent);
      const histories: Record<string, DeltaChannelHistory> = {};
      let complete = true;
      for (const channel of first.rebuilds) {
        const found = pathToSeed(entry.store, first.parent, channel);
        if (found) histories[channel] = historyOf(found, channel);
        else complete = false;
      }
      if (!complete) {
        this.#history.reset(threadId, ns, "");
        if (attempt < WALK_ATTEMPTS) continue;
        throw new StorageError(operation, new Error("a DeltaChannel walk came back incomplete"));
      }
      this.#history.record(entry, first.target, added);
      return { histories };
    }
  }

  /** Runs a read that walks in several script calls, again from the start when the thread changed between two of them. */
  async #walkRetrying<T>(operation: string, read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (err) {
        if (!(err instanceof WalkRestart)) throw err;
        if (attempt >= WALK_ATTEMPTS) throw new StorageError(operation, new Error(`the thread kept changing during a read of ${WALK_ATTEMPTS} attempts`));
      }
    }
  }

  async #decoded(facts: RawFact[], channels: string[]): Promise<DecodedWalk> {
    const raw: WalkStore<RawWrite, RawSeed> = new Map();
    addFacts(raw, facts, channels);
    const decoded: DecodedWalk = new Map();
    await this.#decodeWalk(raw, decoded);
    return decoded;
  }

  /**
   * Deserialises what a raw walk store holds into a decoded one, skipping what the decoded store
   * already has; nothing changes in it unless every value deserialised. Returns the number of
   * values added (a write counts one, a seed the length of its list), for the cache's bound.
   */
  async #decodeWalk(raw: WalkStore<RawWrite, RawSeed>, into: DecodedWalk): Promise<number> {
    const parts: Serialised[] = [];
    const apply: Array<(values: unknown[]) => void> = [];
    let added = 0;
    for (const [id, node] of raw) {
      const held = into.get(id);
      for (const [channel, writes] of node.writes ?? []) {
        if (held?.writes?.has(channel)) continue;
        const at = parts.length;
        for (const w of writes) parts.push({ type: w.type, bytes: w.bytes, what: `write to channel "${channel}"` });
        added += writes.length;
        apply.push((values) => {
          const decoded = writes.map((w, i): CheckpointPendingWrite => [w.taskId, channel, values[at + i]]);
          (nodeOf(into, id, node.parent).writes ??= new Map()).set(channel, decoded);
        });
      }
      for (const [channel, seed] of node.seeds) {
        if (held?.seeds.has(channel)) continue;
        const at = parts.length;
        parts.push({ ...this.#serde.unpack(seed.value, seed.field === null ? "checkpoint" : `channel value ${seed.field}`), what: `seed of channel "${channel}"` });
        apply.push((values) => {
          const value = seed.field === null ? (values[at] as StoredRecord).values?.[channel] : values[at];
          const list = isDeltaSnapshot(value) ? value.value : value;
          added += Array.isArray(list) ? list.length : 1;
          nodeOf(into, id, node.parent).seeds.set(channel, value);
        });
      }
      // Last: a checked channel without a seed means "no seed here", so it must not be recorded
      // before the seed it may have.
      apply.push(() => {
        const target = nodeOf(into, id, node.parent);
        for (const channel of node.checked) target.checked.add(channel);
      });
    }
    const values = await this.#serde.loadMany(parts);
    for (const fn of apply) fn(values);
    return added;
  }

  #refresh(): { refreshTtlMs?: number } {
    return this.#refreshOnRead ? { refreshTtlMs: this.#ttlMs } : {};
  }
}

/**
 * A list filter as conditions on the checkpoints' filter fields (the canonical JSON of each
 * metadata value). A filter value must be JSON data, which is what metadata reads back as: a
 * NaN, an Infinity or a Date would otherwise match the null or the string JSON makes of them, and
 * a BigInt or a cycle could match nothing. `undefined` asks for the key to be absent.
 */
function filterConditions(filter: Record<string, unknown> | undefined): MetadataCondition[] {
  const entries = Object.entries(filter ?? {});
  refuseOver(entries.length, LIMITS.filterKeys, "list: filter keys");
  return entries.map(([key, value]) => {
    const field = metadataField(key);
    if (value === undefined) return { field, absent: true };
    const problem = notJsonData(value, new Set());
    if (problem !== undefined) throw new InvalidInputError(`list: filter value of ${JSON.stringify(key)} must be JSON data (null, booleans, finite numbers, strings, arrays and plain objects); it holds ${problem}`);
    return { field, json: canonicalJson(value)! };
  });
}

/** What in `value` is not JSON data (a description), or undefined when all of it is. */
function notJsonData(value: unknown, path: Set<object>): string | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : String(value);
  if (typeof value !== "object") return `a value of type ${typeof value}`;
  if (path.has(value)) return "a cycle";
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return `a ${value.constructor?.name ?? "class instance"}`;
  path.add(value);
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const problem = item === undefined && !Array.isArray(value) ? undefined : notJsonData(item, path);
    if (problem !== undefined) return problem;
  }
  path.delete(value);
  return undefined;
}

function canonicalJsonOrUndefined(value: unknown): string | undefined {
  try {
    return canonicalJson(value);
  } catch {
    return undefined; // not JSON (a BigInt, a cycle): stored, but not filterable
  }
}

function listLengths(values: Record<string, unknown>): Record<string, number> {
  const lengths: Record<string, number> = {};
  for (const [channel, value] of Object.entries(values)) {
    const list = isDeltaSnapshot(value) ? value.value : value;
    if (Array.isArray(list)) lengths[channel] = list.length;
  }
  return lengths;
}

function checkpointIdOf(tuple: CheckpointTuple): string {
  return tuple.config.configurable?.checkpoint_id as string;
}


/**
 * What a task's writes say of how it ended, for the thread's status: a write to `__error__` (the
 * task failed) or to `__interrupt__` (its interrupts, as JSON the owner's index keeps). An
 * interrupt value JSON cannot carry is kept as its string form.
 */
function outcomeOf(writes: readonly PendingWrite[], taskId: string): { taskId: string; status: "error" } | { taskId: string; status: "interrupted"; interrupts: string } | undefined {
  // A task cancelled by its run's signal is not a failure: the status stays as it was.
  if (writes.some(([channel, value]) => channel === ERROR && !isAbort(value))) return { taskId, status: "error" };
  const interrupts = writes.filter(([channel]) => channel === INTERRUPT).map(([, value]) => interruptOf(value));
  return interrupts.length > 0 ? { taskId, status: "interrupted", interrupts: `[${interrupts.join(",")}]` } : undefined;
}

/** An `__error__` write of a task that stopped because its run was cancelled. */
function isAbort(value: unknown): boolean {
  const { name, message } = (value ?? {}) as { name?: unknown; message?: unknown };
  return name === "AbortError" || message === "Abort";
}

/**
 * The largest interrupt summary the owner's index keeps (JSON): listings return it on every row.
 * A larger value is summarised by its size; the value itself stays in the pending write.
 */
const MAX_INTERRUPT_JSON = 16 * 1024;

/** One interrupt as `{ id, value }` JSON. */
function interruptOf(raw: unknown): string {
  const { id, value } = (raw ?? {}) as { id?: unknown; value?: unknown };
  const interruptId = typeof id === "string" ? id : null;
  let json: string;
  try {
    json = JSON.stringify({ id: interruptId, value: value ?? null });
  } catch {
    json = JSON.stringify({ id: interruptId, value: String(value) });
  }
  if (json.length <= MAX_INTERRUPT_JSON) return json;
  return JSON.stringify({ id: interruptId, value: `(an interrupt value of ${json.length} characters: read it with graph.getState)` });
}
