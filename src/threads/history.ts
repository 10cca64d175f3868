/**
 * DeltaChannel histories: the TypeScript half of the ancestor walk in
 * `src/lua/includes/delta-walk.lua` (whose replies src/scripts/replies.ts parses).
 *
 * A DeltaChannel is absent from most checkpoints; its value at a checkpoint is the nearest
 * ancestor's stored value (the seed) plus the pending writes of every ancestor from the seed down
 * to the checkpoint's parent (`BaseCheckpointSaver.getDeltaChannelHistory`). Scripts report what
 * they saw of each checkpoint as a fact; facts go into a {@link WalkStore}, and a history is read
 * off the store by following parent links ({@link pathToSeed}). The same store shape holds raw
 * bytes (forks copy them) and deserialised values (the saver's history cache).
 */
import type { CheckpointPendingWrite } from "@langchain/langgraph-checkpoint";
import type { RawFact, RawSeed, RawWrite } from "../scripts/replies.js";

/** What a walk learnt of one checkpoint. `W` is a write, `S` a seed, raw or deserialised. */
export interface WalkNode<W, S> {
  id: string;
  parent: string | null;
  /** Writes per walked channel, in replay order (task id, then index); set on the first visit. */
  writes: Map<string, W[]> | undefined;
  /** Channels whose seed was looked for here; those with one are in `seeds`. */
  checked: Set<string>;
  seeds: Map<string, S>;
}

export type WalkStore<W, S> = Map<string, WalkNode<W, S>>;

/**
 * Adds the facts of walk replies to a store. What a checkpoint stores does not change while the
 * thread's validator holds, so a checkpoint's writes to a channel are taken once (the first fact
 * of a checkpoint in a reply carries its writes to every walked channel); seeds and checked
 * channels accumulate.
 */
export function addFacts(store: WalkStore<RawWrite, RawSeed>, facts: readonly RawFact[], channels: readonly string[]): void {
  const firstInReply = new Set<string>();
  for (const fact of facts) {
    const node = nodeOf(store, fact.id, fact.parent);
    if (fact.gone) {
      // Only the channels whose walk ended here learn that there is nothing more.
      node.writes ??= new Map();
      for (const channel of fact.checked) if (!node.writes.has(channel)) node.writes.set(channel, []);
    } else if (!firstInReply.has(fact.id)) {
      firstInReply.add(fact.id);
      node.writes ??= new Map();
      for (const channel of channels) {
        if (node.writes.has(channel)) continue;
        node.writes.set(channel, fact.writes.filter((w) => w.channel === channel).sort(replayOrder));
      }
    }
    for (const channel of fact.checked) node.checked.add(channel);
    for (const [channel, seed] of fact.seeds) node.seeds.set(channel, seed);
  }
}

/** Records a checkpoint's parent link in a store without anything else (a read's target). */
export function nodeOf<W, S>(store: WalkStore<W, S>, id: string, parent: string | null): WalkNode<W, S> {
  let node = store.get(id);
  if (!node) {
    node = { id, parent, writes: undefined, checked: new Set(), seeds: new Map() };
    store.set(id, node);
  }
  return node;
}

/**
 * The checkpoints whose writes make up a channel's history from `start` (a checkpoint's parent)
 * up: newest first, the last one holding the seed when there is one. `undefined` when the store
 * does not hold the whole path (the walk must go to Redis).
 */
export function pathToSeed<W, S>(store: WalkStore<W, S>, start: string | null, channel: string): { path: Array<WalkNode<W, S>>; seed: WalkNode<W, S> | null } | undefined {
  const path: Array<WalkNode<W, S>> = [];
  const visited = new Set<string>();
  for (let id = start; id !== null; ) {
    const node = store.get(id);
    if (!node?.writes?.has(channel) || !node.checked.has(channel) || visited.has(id)) return undefined;
    visited.add(id);
    path.push(node);
    if (node.seeds.has(channel)) return { path, seed: node };
    id = node.parent;
  }
  return { path, seed: null };
}

/**
 * The ids the store can finish a walk at, for a read of `target`: the target's parent when the
 * target is known, and recent targets, each only if the store holds its whole history for every
 * channel (so that the script may stop there).
 */
export function completeAt<W, S>(store: WalkStore<W, S>, candidates: Iterable<string>, channels: readonly string[]): string[] {
  const out: string[] = [];
  for (const id of candidates) {
    const node = store.get(id);
    if (node && !out.includes(id) && channels.every((c) => pathToSeed(store, node.parent, c) !== undefined)) out.push(id);
  }
  return out;
}

/** Replay order within one checkpoint: task id, then write index (the official contract). */
function replayOrder(a: { taskId: string; idx: number }, b: { taskId: string; idx: number }): number {
  return a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : a.idx - b.idx;
}

/** A history as LangGraph takes it, from the path of a decoded store. */
export function historyOf(found: { path: Array<WalkNode<CheckpointPendingWrite, unknown>>; seed: WalkNode<CheckpointPendingWrite, unknown> | null }, channel: string): { writes: CheckpointPendingWrite[]; seed?: unknown } {
  const writes: CheckpointPendingWrite[] = [];
  for (let i = found.path.length - 1; i >= 0; i--) {
    for (const [taskId, ch, value] of found.path[i]!.writes!.get(channel)!) writes.push([taskId, ch, fresh(value)]);
  }
  return found.seed ? { writes, seed: fresh(found.seed.seeds.get(channel)) } : { writes };
}

/**
 * A fresh container around a cached value: a reducer that changes its state in place (allowed by
 * DeltaChannel's contract) must not change what the cache hands out next time. Lists, maps, sets
 * and plain objects are copied one level, as are the values a DeltaSnapshot or an Overwrite wraps
 * (DeltaChannel makes those its state); the elements (messages) are shared, as LangGraph shares
 * them between the steps of one run.
 */
function fresh(value: unknown): unknown {
  if (Array.isArray(value)) return value.slice();
  if (value instanceof Map) return new Map(value);
  if (value instanceof Set) return new Set(value);
  if (value === null || typeof value !== "object") return value;
  const prototype = Object.getPrototypeOf(value) as object | null;
  const record = value as Record<string, unknown>;
  if (record.lg_name === "DeltaSnapshot") return Object.assign(Object.create(prototype) as object, value, { value: fresh(record.value) });
  if ("__overwrite__" in record) return Object.assign(Object.create(prototype) as object, value, { __overwrite__: fresh(record.__overwrite__) });
  if (prototype === Object.prototype || prototype === null) {
    const copy: Record<string, unknown> = { ...record };
    if (copy.type === "__overwrite__" && "value" in copy) copy.value = fresh(copy.value);
    return copy;
  }
  return value;
}


/** What the saver keeps of one thread namespace's DeltaChannel histories. */
export interface CacheEntry {
  key: string;
  threadId: string;
  /** The thread's validator when these facts were read (see thread_validator in delta-walk.lua). */
  validator: string;
  store: WalkStore<CheckpointPendingWrite, unknown>;
  /** Recently read checkpoints, newest last: where the next read's walk can probably stop. */
  targets: string[];
  /** Writes held, for the cache's bound. */
  writes: number;
}

const RECENT_TARGETS = 4;

/**
 * Deserialised DeltaChannel histories, per thread namespace, bounded by the number of writes held
 * (least recently used namespaces go first). With it, a graph turn on a long thread fetches and
 * deserialises only the writes since the thread's last read in this process: the walk stops at a
 * checkpoint whose history is here. The thread's validator (creation time and write generation)
 * comes back with every walk; when it moved (a checkpoint that has children got new writes, or was
 * put again) the thread's entry is dropped and read again, so the cache never answers differently
 * from Redis.
 */
export class HistoryCache {
  readonly maxWrites: number;
  readonly #entries = new Map<string, CacheEntry>();
  #writes = 0;

  constructor(maxWrites: number) {
    this.maxWrites = maxWrites;
  }

  /** The entry of a thread namespace, marked as the most recently used. */
  get(threadId: string, ns: string): CacheEntry | undefined {
    const key = entryKey(threadId, ns);
    const entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /** A new, empty entry for a thread namespace (replacing the old one). */
  reset(threadId: string, ns: string, validator: string): CacheEntry {
    const key = entryKey(threadId, ns);
    this.#remove(key);
    const entry: CacheEntry = { key, threadId, validator, store: new Map(), targets: [], writes: 0 };
    if (this.maxWrites > 0) this.#entries.set(key, entry);
    return entry;
  }

  /** Records a read of `target` whose facts added `writes` writes, then keeps the bound. */
  record(entry: CacheEntry, target: string, writes: number): void {
    entry.targets = [...entry.targets.filter((t) => t !== target).slice(1 - RECENT_TARGETS), target];
    entry.writes += writes;
    if (this.#entries.get(entry.key) !== entry) return; // not cached (cache off, or dropped meanwhile)
    this.#writes += writes;
    for (const [key] of this.#entries) {
      if (this.#writes <= this.maxWrites) break;
      this.#remove(key);
    }
  }

  /** Forgets a thread (deleteThread). */
  drop(threadId: string): void {
    for (const [key, entry] of this.#entries) if (entry.threadId === threadId) this.#remove(key);
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#writes -= entry.writes;
    this.#entries.delete(key);
  }
}

function entryKey(threadId: string, ns: string): string {
  return JSON.stringify([threadId, ns]);
}
