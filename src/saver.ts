import { once } from "node:events";
import { Cluster, Redis } from "ioredis";
import type { ClusterNode, ClusterOptions, RedisOptions } from "ioredis";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  TASKS,
  WRITES_IDX_MAP,
  getCheckpointId,
  maxChannelVersion,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type DeltaChannelHistory,
  type PendingWrite,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import { canonicalJson, namesOf, packParts, unpackParts } from "./codec.js";
import { InvalidInputError, SerializationError, StorageError } from "./errors.js";
import { HistoryCache, addFacts, completeAt, historyOf, nodeOf, parseWalk, parseWrite, pathToSeed, type FrontierEntry, type RawFact, type RawSeed, type RawWrite, type WalkStore } from "./history.js";
import { KeySpace, blobField } from "./keys.js";
import { ScriptCode, Store, type RedisClient } from "./store.js";

/** Options of {@link RedisSaver}. */
export interface RedisSaverOptions {
  /** An ioredis `Redis` or `Cluster`. The saver never closes a client it was given. */
  client: RedisClient;
  /**
   * Prefix of every key the saver writes. Must not contain `{` or `}`: the saver puts each
   * thread's keys under a hash tag of its own.
   * @default "lg"
   */
  prefix?: string;
  /**
   * Serializer for checkpoints, metadata, channel values and writes.
   * @default LangGraph's JsonPlusSerializer
   */
  serde?: SerializerProtocol;
  /**
   * Retention, as in the official savers: threads expire `defaultTTL` minutes after their last
   * write (or read, with `refreshOnRead`), every key of a thread at the same moment. Moving the
   * deadline touches every key of the thread, so it is moved when less than 90% of the TTL is
   * left: a thread lives between 0.9 x and 1 x `defaultTTL` after its last activity, and pays that
   * O(keys) refresh once per tenth of its TTL.
   * @default no expiry
   */
  ttl?: { defaultTTL?: number; refreshOnRead?: boolean };
  /**
   * Shallow mode, for applications that only need the latest state: every put keeps only the new
   * checkpoint of its namespace (prune with `keepLast: 1` on every write). History, time travel and
   * branches are gone with it.
   * @default false
   */
  shallow?: boolean;
  /**
   * How many DeltaChannel writes (deserialised) the saver keeps in memory, across threads, least
   * recently used threads dropped first. A graph turn on a thread read before by this process then
   * fetches and deserialises only the writes since that read, instead of the thread's whole
   * history since its last snapshot. Every read still asks Redis, which answers whether the cached
   * part is still what Redis holds. 0 turns the cache off.
   * @default 10000
   */
  historyCacheWrites?: number;
}

/** Options of {@link RedisSaver.fromUrl}: the saver options less the client, plus ioredis options. */
export interface RedisSaverUrlOptions extends Omit<RedisSaverOptions, "client"> {
  /** Passed to `new Redis(url, redisOptions)`. */
  redisOptions?: RedisOptions;
}

/** Options of {@link RedisSaver.fromCluster}: the saver options less the client, plus ioredis Cluster options. */
export interface RedisSaverClusterOptions extends Omit<RedisSaverOptions, "client"> {
  /** Passed to `new Cluster(nodes, clusterOptions)`. */
  clusterOptions?: ClusterOptions;
}

/** What LangGraph's JSON serde writes in place of a value it cannot serialise. */
const UNSERIALIZABLE = "[unable to serialize, circular reference is too complex to analyze]";
const UNSERIALIZABLE_JSON = Buffer.from(JSON.stringify(UNSERIALIZABLE));

const JSON_OPEN = Buffer.from("[");
const JSON_COMMA = Buffer.from(",");
const JSON_CLOSE = Buffer.from("]");

/** Threads listed concurrently by `list()` without a thread id. */
const LIST_THREADS_AT_ONCE = 50;

/** Tuples per `list` round trip when the caller gave no (or a larger) limit. */
const LIST_PAGE_SIZE = 100;

/**
 * Checkpoints one call of a walking script visits at most (src/lua/includes/delta-walk.lua), and
 * about how many bytes of values it returns; the script also stops after about 4 ms of server
 * time. A longer walk continues in further calls, so that no call keeps Redis busy for long
 * (`npm run bench:delta` measures the server time per call).
 */
const WALK_MAX_NODES = 2000;
const WALK_MAX_BYTES = 8 * 1024 * 1024;

/** Times a read starts over when the thread changed under a walk of several calls. */
const WALK_ATTEMPTS = 5;

/** What a walking script's first call tells: the thread's validator, the read checkpoint, the walk. */
interface WalkStart {
  validator: string;
  /** The walk's lenient channels (see delta-walk.lua), passed on to the calls that resume it. */
  lenient?: string;
  /** The checkpoint read (null: none); its parent is where its channels' histories start. */
  target: string | null;
  parent: string | null;
  facts: RawFact[];
  frontier: FrontierEntry[];
}

/** The thread's validator moved between the calls of one walk: the read starts over. */
class WalkRestart extends Error {}

type Reply = Buffer | Reply[] | null;

/** The put script's reply: { 1, owner, deadline, new namespace, deadline moved }, or a code. */
type PutReply = [number, Buffer | null, number, number, number] | number;

/**
 * A LangGraph checkpointer on plain Redis (no modules), through ioredis.
 *
 * Each operation is one round trip: `put`, `putWrites`, `getTuple` and each page of `list` are one
 * Lua script call. (The thread index, in a slot of its own, learns of a thread on its first put,
 * from a command sent after that reply.) All keys of a thread share one hash tag, so a thread
 * lives in one Redis Cluster slot. Channel values are stored once per version, and versions are
 * unique per branch, so forks never share a blob.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { RedisSaver } from "langgraph-checkpoint-redis-tree";
 *
 * const saver = new RedisSaver({ client: new Redis("redis://127.0.0.1:6379") });
 * const graph = builder.compile({ checkpointer: saver });
 * await graph.invoke({ messages: [new HumanMessage("hi")] }, { configurable: { thread_id: "t1" } });
 * ```
 */
export class RedisSaver extends BaseCheckpointSaver {
  /** The ioredis client the saver talks through. */
  readonly client: RedisClient;
  /** The key prefix. */
  readonly prefix: string;
  /** @internal */
  readonly keys: KeySpace;
  /** @internal */
  readonly store: Store;
  /** The default TTL in ms, 0 for none. @internal */
  readonly ttlMs: number;
  readonly #refreshOnRead: boolean;
  /** Whether the serde is LangGraph's default JSON one (see loadMany). */
  readonly #defaultSerde: boolean;
  readonly #shallow: boolean;
  readonly #history: HistoryCache;
  readonly #ownsClient: boolean;
  readonly #background = new Set<Promise<void>>();

  /** Checkpoints one walking script call visits at most (tests lower it to exercise resumption). */
  readonly #walkMaxNodes: number;

  constructor(options: RedisSaverOptions, internal?: { ownsClient?: boolean; walkMaxNodes?: number }) {
    super(options?.serde);
    if (options === null || typeof options !== "object" || options.client == null) {
      throw new InvalidInputError("RedisSaver needs an ioredis client: new RedisSaver({ client: new Redis(url) })");
    }
    if (typeof (options.client as Partial<Redis>).defineCommand !== "function") {
      throw new InvalidInputError("RedisSaver option `client` must be an ioredis Redis or Cluster instance");
    }
    const prefix = options.prefix ?? "lg";
    if (typeof prefix !== "string" || prefix === "" || /[{}]/.test(prefix)) {
      throw new InvalidInputError(
        `RedisSaver option \`prefix\` must be a non-empty string without "{" or "}" (got ${JSON.stringify(prefix)})`,
      );
    }
    const { defaultTTL, refreshOnRead = false } = options.ttl ?? {};
    if (defaultTTL !== undefined && (typeof defaultTTL !== "number" || !Number.isFinite(defaultTTL) || defaultTTL <= 0)) {
      throw new InvalidInputError(`RedisSaver option \`ttl.defaultTTL\` must be a positive number of minutes (got ${String(defaultTTL)})`);
    }
    this.ttlMs = defaultTTL === undefined ? 0 : Math.max(1, Math.round(defaultTTL * 60_000));
    this.#refreshOnRead = refreshOnRead === true && this.ttlMs > 0;
    this.#shallow = options.shallow === true;
    const cacheWrites = options.historyCacheWrites ?? 10_000;
    if (!Number.isInteger(cacheWrites) || cacheWrites < 0) {
      throw new InvalidInputError(`RedisSaver option \`historyCacheWrites\` must be a non-negative integer (got ${String(cacheWrites)})`);
    }
    this.#history = new HistoryCache(cacheWrites);
    this.#defaultSerde = options.serde === undefined;
    this.client = options.client;
    this.prefix = prefix;
    this.keys = new KeySpace(prefix);
    this.store = new Store(options.client);
    this.#ownsClient = internal?.ownsClient ?? false;
    this.#walkMaxNodes = internal?.walkMaxNodes ?? WALK_MAX_NODES;
  }

  /**
   * Creates a saver with its own client. {@link RedisSaver.close} closes that client.
   *
   * @example
   * ```ts
   * const saver = RedisSaver.fromUrl("redis://127.0.0.1:6379", { prefix: "myapp" });
   * // ...
   * await saver.close();
   * ```
   */
  static fromUrl(url: string, options: RedisSaverUrlOptions = {}): RedisSaver {
    const { redisOptions, ...saverOptions } = options;
    const client = redisOptions ? new Redis(url, redisOptions) : new Redis(url);
    return new RedisSaver({ ...saverOptions, client }, { ownsClient: true });
  }

  /**
   * Creates a saver on a Redis Cluster with its own ioredis `Cluster` client; {@link RedisSaver.close}
   * closes it. Every key of a thread shares one hash tag, so each operation runs on one node.
   *
   * @example
   * ```ts
   * const saver = RedisSaver.fromCluster([{ host: "10.0.0.1", port: 6379 }, { host: "10.0.0.2", port: 6379 }]);
   * ```
   */
  static fromCluster(nodes: ClusterNode[], options: RedisSaverClusterOptions = {}): RedisSaver {
    const { clusterOptions, ...saverOptions } = options;
    return new RedisSaver({ ...saverOptions, client: new Cluster(nodes, clusterOptions) }, { ownsClient: true });
  }

  /**
   * Closes the client if this saver created it ({@link RedisSaver.fromUrl},
   * {@link RedisSaver.fromCluster}), after the index updates in flight; a client passed in stays
   * open, since its owner may still use it.
   */
  async close(): Promise<void> {
    await Promise.all(this.#background);
    if (!this.#ownsClient || this.client.status === "end") return;
    const ended = once(this.client, "end");
    await this.client.quit();
    await ended;
  }

  /**
   * Returns the checkpoint named by `checkpoint_id`, or the latest of the thread and namespace, with
   * its channel values, parent config and pending writes. One round trip. `undefined` when there is
   * none, or when the config names no thread.
   */
  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    if (config.configurable?.thread_id === undefined) return undefined;
    const read = await this.readTuple(config, "");
    return read === "not-owner" ? undefined : read;
  }

  /**
   * getTuple for a caller acting as `owner` ("" for none): `"not-owner"` when the thread belongs to
   * someone else. The check and the read are one script, so they cannot be split by a change.
   * @internal
   */
  async readTuple(config: RunnableConfig, owner: string): Promise<CheckpointTuple | undefined | "not-owner"> {
    const threadId = this.threadIdOf(config, "getTuple");
    const ns = namespaceOf(config);
    const reply = (await this.store.script("getTuple", "getTuple", [this.keys.threadBase(threadId)], [
      ns,
      configCheckpointId(config, "getTuple"),
      owner,
      this.#refreshOnRead ? String(this.ttlMs) : "",
    ])) as [Reply[] | null, number, Buffer | null] | number;
    if (reply === ScriptCode.NotOwner || !Array.isArray(reply)) return "not-owner";
    const [tuple, pushed, threadOwner] = reply;
    if (pushed > 0 && threadOwner) await this.touchConversation(text(threadOwner), threadId, pushed, false, true);
    return tuple ? this.parseTuple(threadId, tuple) : undefined;
  }

  /**
   * Lists checkpoints, newest first. `thread_id` and `checkpoint_ns` are both optional; without a
   * namespace every namespace of the thread is listed. `filter` keeps checkpoints whose metadata
   * has, for every key of the filter, a value deep-equal to the filter's (nested objects
   * included). With a thread id, each page of up to 100 tuples is one round trip.
   */
  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { limit, before, filter } = options;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new InvalidInputError(`list option \`limit\` must be a non-negative integer (got ${String(limit)})`);
    }
    if (filter !== undefined && (filter === null || typeof filter !== "object" || Array.isArray(filter))) {
      throw new InvalidInputError("list option `filter` must be an object of metadata keys and values");
    }
    if (limit === 0) return;
    const query: ListQuery = {
      ns: config.configurable?.checkpoint_ns as string | undefined,
      only: configCheckpointId(config, "list"),
      before: before ? configCheckpointId(before, "list before") : "",
      filter: filterArgs(filter),
      limit,
    };
    if (query.ns !== undefined && typeof query.ns !== "string") {
      throw new InvalidInputError("config.configurable.checkpoint_ns must be a string");
    }
    if (config.configurable?.thread_id !== undefined) {
      yield* this.listThread(this.threadIdOf(config, "list"), query);
      return;
    }
    // No thread: every thread of this prefix, from the thread index (never a keyspace scan),
    // merged newest first. Meant for administration, not for a request path.
    const threadIds = await this.client.zrevrange(this.keys.threadsIndex(), 0, -1);
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
    yield* merged.slice(0, limit ?? merged.length);
  }

  /**
   * What LangGraph needs to rebuild DeltaChannel values at a checkpoint (Beta in LangGraph 1.4),
   * with `BaseCheckpointSaver`'s contract: for each channel, the pending writes of the checkpoint's
   * ancestors, oldest first and each checkpoint's in (task id, index) order, from its parent up to
   * the nearest ancestor that stores the channel, whose value is `seed` (absent when no ancestor
   * stores one). Writes stored at the checkpoint itself are not included.
   *
   * The walk runs inside Redis: one round trip for a few hundred ancestors, and a further one per
   * ~4 ms of server time beyond (so that no script blocks Redis for long), instead of one
   * `getTuple` per ancestor. What this process read of the thread before is not fetched or
   * deserialised again (see `historyCacheWrites`). A checkpoint on the way that is gone is a
   * {@link StorageError}.
   */
  override async getDeltaChannelHistory(options: { config: RunnableConfig; channels: string[] }): Promise<Record<string, DeltaChannelHistory>> {
    const channels = options?.channels as unknown;
    if (!Array.isArray(channels) || channels.some((c) => typeof c !== "string")) {
      throw new InvalidInputError("getDeltaChannelHistory needs `channels`: an array of channel names");
    }
    if (channels.length === 0) return {};
    const names = [...new Set(channels as string[])];
    const config = options.config;
    let histories: Record<string, DeltaChannelHistory> = {};
    if (config?.configurable?.thread_id !== undefined) {
      const threadId = this.threadIdOf(config, "getDeltaChannelHistory");
      const ns = namespaceOf(config);
      const target = configCheckpointId(config, "getDeltaChannelHistory");
      const read = await this.readHistories("getDeltaChannelHistory", threadId, ns, { owner: "", channels: names, target }, async (validator, known) => {
        const [v, t, parent, facts, frontier, lenient] = (await this.store.script("getDeltaChannelHistory", "deltaHistory", [this.keys.threadBase(threadId)], [
          ns,
          "",
          validator,
          ...this.walkArgs(names, known),
          "target",
          target,
        ])) as Reply[];
        return { validator: text(v), target: t ? text(t) : null, parent: parent ? text(parent) : null, ...parseWalk(names, facts!, frontier!), lenient: text(lenient), rebuilds: names };
      });
      if (read !== "not-owner") histories = read.histories;
    }
    return Object.fromEntries((channels as string[]).map((c) => [c, histories[c] ?? { writes: [] }]));
  }

  /**
   * A checkpoint as getTuple returns it, with the histories of the given channels that it does
   * not store and rebuilds from its ancestors (DeltaChannels), in one round trip when the walk is
   * short: how the conversation layer reads a checkpoint's whole state. `"not-owner"` when the
   * thread belongs to someone other than `owner` ("" for no check).
   * @internal
   */
  async readState(config: RunnableConfig, options: { owner: string; channels: string[] }): Promise<{ tuple: CheckpointTuple; histories: Record<string, DeltaChannelHistory> } | undefined | "not-owner"> {
    const threadId = this.threadIdOf(config, "readState");
    const ns = namespaceOf(config);
    const target = configCheckpointId(config, "readState");
    const { owner, channels } = options;
    let tuple: Reply[] | null = null;
    const read = await this.readHistories("readState", threadId, ns, { owner, channels, target }, async (validator, known) => {
      const reply = (await this.store.script("readState", "readState", [this.keys.threadBase(threadId)], [ns, target, owner, validator, ...this.walkArgs(channels, known)])) as Reply[] | number;
      if (!Array.isArray(reply)) return "not-owner";
      const [v, t, rebuilt, facts, frontier] = reply;
      tuple = Array.isArray(t) ? t : null;
      const walk = parseWalk(channels, facts!, frontier!);
      return {
        validator: text(v),
        target: tuple ? text(tuple[0]) : null,
        parent: tuple?.[3] ? text(tuple[3]) : null,
        ...walk,
        rebuilds: (rebuilt as Reply[]).map((i) => channels[Number(i) - 1]!),
      };
    });
    if (read === "not-owner") return "not-owner";
    if (tuple === null) return undefined;
    return { tuple: await this.parseTuple(threadId, tuple), histories: read.histories };
  }

  /**
   * The shared half of every DeltaChannel read: runs the walk `start` begins (told what the cache
   * holds of the thread), finishes it, deserialises what the cache does not hold yet, and reads the
   * histories of `rebuilds` off the cache. Starts over without the cache when the thread changed
   * under a walk of several calls, or when the cache turned out not to hold a path it claimed.
   */
  private async readHistories(
    operation: string,
    threadId: string,
    ns: string,
    read: { owner: string; channels: string[]; target: string },
    start: (validator: string, known: string[]) => Promise<(WalkStart & { rebuilds: string[] }) | "not-owner">,
  ): Promise<{ histories: Record<string, DeltaChannelHistory> } | "not-owner"> {
    for (let attempt = 1; ; attempt++) {
      let entry = attempt === 1 ? this.#history.get(threadId, ns) : undefined;
      const candidates: string[] = [];
      const targetNode = read.target === "" ? undefined : entry?.store.get(read.target);
      if (targetNode?.parent) candidates.push(targetNode.parent);
      const known = entry ? completeAt(entry.store, [...candidates, ...entry.targets], read.channels) : [];
      const first = await start(entry?.validator ?? "", known);
      if (first === "not-owner") return "not-owner";
      // The script trusted `known` only if the thread's validator was still the cache's.
      const trusted = entry !== undefined && entry.validator === first.validator ? known : [];
      if (entry === undefined || entry.validator !== first.validator) entry = this.#history.reset(threadId, ns, first.validator);
      let facts: RawFact[] | "not-owner";
      try {
        facts = await this.finishWalk(threadId, ns, read, trusted, first);
      } catch (err) {
        if (err instanceof WalkRestart && attempt < WALK_ATTEMPTS) continue;
        if (err instanceof WalkRestart) throw new StorageError(operation, new Error(`the thread kept changing during a read of ${WALK_ATTEMPTS} attempts`));
        throw err;
      }
      if (facts === "not-owner") return "not-owner";
      const raw: WalkStore<RawWrite, RawSeed> = new Map();
      addFacts(raw, facts, read.channels);
      const added = await this.decodeWalk(raw, entry.store);
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

  /**
   * Resumes a walk's frontier until nothing is left, one bounded script call each, and returns all
   * its facts. Throws {@link WalkRestart} when the thread's validator moved between calls.
   * @internal
   */
  async finishWalk(threadId: string, ns: string, read: { owner: string; channels: string[] }, known: string[], first: { validator: string; lenient?: string; facts: RawFact[]; frontier: FrontierEntry[] }): Promise<RawFact[] | "not-owner"> {
    const facts = [...first.facts];
    const { channels } = read;
    for (let frontier = first.frontier; frontier.length > 0; ) {
      const reply = (await this.store.script("deltaHistory", "deltaHistory", [this.keys.threadBase(threadId)], [
        ns,
        read.owner,
        first.validator,
        ...this.walkArgs(channels, known, first.lenient),
        "resume",
        ...frontier.flatMap((e) => [e.id, e.child ?? "", e.channels.map((c) => channels.indexOf(c) + 1).join(",")]),
      ])) as Reply[] | number;
      if (!Array.isArray(reply)) return "not-owner";
      const [v, , , factsRaw, frontierRaw] = reply;
      if (text(v) !== first.validator) throw new WalkRestart();
      const next = parseWalk(channels, factsRaw!, frontierRaw!);
      facts.push(...next.facts);
      frontier = next.frontier;
    }
    return facts;
  }

  /**
   * A walk's budget per script call, as the tree, branch and fork readers take it.
   * @internal
   */
  walkBudget(): string[] {
    return [String(this.#walkMaxNodes), String(WALK_MAX_BYTES)];
  }

  /** The walk arguments every walking script takes (walk_args in includes/delta-walk.lua). */
  private walkArgs(channels: readonly string[], known: readonly string[], lenient = ""): string[] {
    return [...this.walkBudget(), String(channels.length), ...channels, String(known.length), ...known, lenient];
  }

  /**
   * Runs a read that walks in several script calls, again from the start when the thread changed
   * between two of them (a walk of one call is atomic).
   * @internal
   */
  async walkRetrying<T>(operation: string, read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (err) {
        if (!(err instanceof WalkRestart)) throw err;
        if (attempt >= WALK_ATTEMPTS) throw new StorageError(operation, new Error(`the thread kept changing during a read of ${WALK_ATTEMPTS} attempts`));
      }
    }
  }

  /**
   * A checkpoint's record as put stores it: for checkpoints planted outside put (forks).
   * @internal
   */
  packRecord(checkpoint: Omit<Checkpoint, "channel_values">, metadata: CheckpointMetadata, values: Record<string, unknown>): Promise<Buffer> {
    const record: StoredRecord = { checkpoint, metadata };
    if (namesOf(values).length > 0) record.values = values;
    return this.dump(record, "checkpoint");
  }

  /**
   * The value without a version that a stored record holds for a channel.
   * @internal
   */
  async recordValue(packed: Buffer, channel: string): Promise<unknown> {
    return ((await this.load(packed, "checkpoint")) as StoredRecord).values?.[channel];
  }

  /**
   * Deserialises what a raw walk store holds into a decoded one, skipping what the decoded store
   * already has; nothing changes in it unless every value deserialised. Returns the number of
   * values added (a write counts one, a seed the length of its list), for the cache's bound.
   * @internal
   */
  async decodeWalk(raw: WalkStore<RawWrite, RawSeed>, into: WalkStore<CheckpointPendingWrite, unknown>): Promise<number> {
    const parts: Array<{ type: string; bytes: Buffer; what: string }> = [];
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
        parts.push({ ...unpackTyped(seed.value, seed.field === null ? "checkpoint" : `channel value ${seed.field}`), what: `seed of channel "${channel}"` });
        apply.push((values) => {
          const value = seed.field === null ? (values[at] as StoredRecord).values?.[channel] : values[at];
          const list = isDeltaSnapshot(value) ? (value as { value: unknown }).value : value;
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
    const values = await this.loadMany(parts);
    for (const fn of apply) fn(values);
    return added;
  }

  /**
   * Stores a checkpoint. Only the channels named in `newVersions` are written, each as a blob keyed
   * by channel and version; channels not re-written are read from the blob of the version the
   * checkpoint names. Atomic and one round trip.
   */
  put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    // Without an owner to act for there is no owner check, so the reply is never "not-owner".
    return this.writeCheckpoint(config, checkpoint, metadata, newVersions, "") as Promise<RunnableConfig>;
  }

  /**
   * put for a caller acting as `owner` ("" for none): `"not-owner"` (nothing written) when the
   * thread belongs to someone else.
   * @internal
   */
  async writeCheckpoint(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
    owner: string,
    options: { requireHead?: boolean } = {},
  ): Promise<RunnableConfig | "not-owner" | "changed"> {
    const threadId = this.threadIdOf(config, "put");
    const ns = namespaceOf(config);
    if (typeof checkpoint?.id !== "string" || checkpoint.id === "") {
      throw new InvalidInputError("put needs a checkpoint with a non-empty string `id`");
    }
    wellFormed(checkpoint.id, "checkpoint id", "put");
    const parentId = configCheckpointId(config, "put");
    const { channel_values: values = {}, ...bare } = checkpoint;
    const versions = checkpoint.channel_versions ?? {};

    // A value is stored as a blob when its channel has a version (blobs are shared by the
    // checkpoints that read that version); a value without a version (LangGraph's empty
    // `__pregel_tasks`) travels in the record. The node lists the blobs it holds, so a blob that
    // goes missing later is noticed on read instead of read as an empty channel.
    const stored = namesOf(values).filter((c) => c in versions);
    const unversioned = namesOf(values).filter((c) => !(c in versions));
    const blobFields = stored.map((c) => blobField(c, versions[c]!));
    const isNew = (c: string) => newVersions != null && c in newVersions;

    // The checkpoint and its metadata are one serde value: one serialisation here and one
    // deserialisation per read, instead of two.
    const recordValue: StoredRecord = { checkpoint: bare, metadata };
    if (unversioned.length > 0) recordValue.values = Object.fromEntries(unversioned.map((c) => [c, values[c]]));
    const [record, ...sent] = await Promise.all([
      this.dump(recordValue, "checkpoint"),
      ...stored.filter(isNew).map(async (c) => [blobField(c, versions[c]!), await this.dump(values[c], `channel "${c}"`)]),
    ]);
    const filterFields: string[] = [];
    for (const [key, value] of Object.entries(metadata ?? {})) {
      const json = value === undefined ? undefined : canonicalJsonOrUndefined(value);
      if (json !== undefined) filterFields.push(metadataField(key), json);
    }
    // DeltaChannels (LangGraph 1.4) are absent from most checkpoints and rebuilt from ancestors;
    // the script records which ones this checkpoint rebuilds (see includes/delta-walk.lua).
    const deltaMarked = new Set(namesOf((metadata as { counters_since_delta_snapshot?: object } | undefined)?.counters_since_delta_snapshot ?? {}));
    for (const c of stored) if (isDeltaSnapshot(values[c])) deltaMarked.add(c);
    const valueless = namesOf(versions).filter((c) => !(c in values));

    const reply = (await this.store.script("put", "put", [this.keys.threadBase(threadId)], [
      ns,
      checkpoint.id,
      parentId,
      String(checkpoint.v ?? 4),
      record,
      JSON.stringify(blobFields),
      JSON.stringify(stored.filter((c) => !isNew(c)).map((c) => blobField(c, versions[c]!))),
      String(Date.now()),
      owner,
      typeof checkpoint.ts === "string" ? checkpoint.ts : "",
      JSON.stringify(listLengths(values)),
      String(this.ttlMs),
      this.#shallow ? "1" : "",
      options.requireHead ? "1" : "",
      JSON.stringify([...deltaMarked]),
      JSON.stringify(valueless),
      unversioned.length > 0 ? JSON.stringify(unversioned) : "",
      String(filterFields.length / 2),
      ...filterFields,
      String(sent.length),
      ...sent.flat(),
    ])) as PutReply;
    if (reply === ScriptCode.Changed) return "changed";
    if (reply === ScriptCode.NotOwner || !Array.isArray(reply)) return "not-owner";
    const [, threadOwner, deadline, newNamespace, deadlineMoved] = reply;
    // The thread index (its own slot) learns of a thread once, when a namespace of it first
    // appears: sent as the reply arrives, not awaited, so put stays one round trip.
    if (newNamespace === 1) this.background("put", this.client.zadd(this.keys.threadsIndex(), "NX", Date.now(), threadId));
    if (threadOwner) await this.touchConversation(text(threadOwner), threadId, deadline, true, deadlineMoved === 1);
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  /**
   * Stores the writes of one task against a checkpoint. Writes to LangGraph's special channels
   * (error, interrupt, resume, scheduled) overwrite; others are kept only if absent, so a retried
   * task never duplicates a write. Atomic and one round trip.
   *
   * @param taskPath the task's path in the graph; pending writes are returned ordered by
   *   (task path, task id, index).
   */
  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ""): Promise<void> {
    const threadId = this.threadIdOf(config, "putWrites");
    const ns = namespaceOf(config);
    const checkpointId = config.configurable?.checkpoint_id as unknown;
    if (typeof checkpointId !== "string" || checkpointId === "") {
      throw new InvalidInputError("putWrites needs config.configurable.checkpoint_id (the checkpoint the writes belong to)");
    }
    wellFormed(checkpointId, "checkpoint_id", "putWrites");
    if (typeof taskId !== "string") throw new InvalidInputError("putWrites needs a string taskId");
    if (typeof taskPath !== "string") throw new InvalidInputError("putWrites taskPath must be a string");
    if (!Array.isArray(writes)) throw new InvalidInputError("putWrites needs an array of [channel, value] writes");
    if (writes.length === 0) return;

    const args = await Promise.all(
      writes.map(async ([channel, value], i) => {
        const special = WRITES_IDX_MAP[channel];
        const idx = special ?? i;
        const [type, bytes] = await this.dumpTyped(value, `write to channel "${channel}"`);
        const packed = packParts([taskId, String(idx), channel, taskPath, type, bytes]);
        return [special === undefined ? "n" : "s", `${taskId}:${idx}`, packed] as const;
      }),
    );
    await this.store.script("putWrites", "putWrites", [this.keys.threadBase(threadId)], [ns, checkpointId, String(this.ttlMs), ...args.flat()]);
  }

  /**
   * Deletes every checkpoint, blob and write of a thread in every namespace, and its index entries.
   * Only the thread with exactly this id is touched: ids are never used as patterns.
   */
  async deleteThread(threadId: string): Promise<void> {
    await this.removeThread(threadId, "");
  }

  /**
   * deleteThread for a caller acting as `owner` ("" for none). Also removes the thread's
   * conversation from its owner's indexes. Returns whether anything was removed, or
   * `"not-owner"` (nothing removed).
   * @internal
   */
  async removeThread(threadId: string, owner: string): Promise<boolean | "not-owner"> {
    const id = validThreadId(threadId, "deleteThread");
    this.#history.drop(id);
    const reply = (await this.store.script("deleteThread", "deleteThread", [this.keys.threadBase(id)], [owner])) as [number, Buffer | null] | number;
    if (reply === ScriptCode.NotOwner) return "not-owner";
    const [removed, threadOwner] = Array.isArray(reply) ? reply : [0, null];
    // The cross-slot index entries go once the thread is gone (never before the owner check).
    const [, unindexed] = await Promise.all([
      this.client.zrem(this.keys.threadsIndex(), id),
      threadOwner ? this.store.script("deleteThread", "unindexConversation", [this.keys.userBase(text(threadOwner))], [id]) : 0,
    ]);
    return removed > 0 || unindexed === 1;
  }

  /**
   * Keeps the newest `keepLast` checkpoints of every namespace of each thread (by id, that is by
   * time), with the channel values and pending writes they need, and deletes the rest. One script
   * per thread. Returns the number of checkpoints deleted.
   *
   * @example
   * ```ts
   * await saver.prune(["thread-1", "thread-2"], { keepLast: 20 });
   * ```
   */
  async prune(threadIds: string[], options: { keepLast: number }): Promise<number> {
    if (!Array.isArray(threadIds)) throw new InvalidInputError("prune needs an array of thread ids");
    const keepLast = options?.keepLast;
    if (!Number.isInteger(keepLast) || keepLast < 1) {
      throw new InvalidInputError(`prune option \`keepLast\` must be an integer of 1 or more (got ${String(keepLast)})`);
    }
    const ids = threadIds.map((id) => validThreadId(id, "prune"));
    const removed = await Promise.all(ids.map((id) => this.store.script("prune", "prune", [this.keys.threadBase(id)], [String(keepLast)]) as Promise<number>));
    return removed.reduce((a, b) => a + b, 0);
  }

  /**
   * Branch-safe channel versions: the next integer plus a random fraction in (0, 1). Versions stay
   * numbers that increase along a branch (what LangGraph compares), and two branches forked from
   * one checkpoint mint different versions (3.52… and 3.17…) instead of both minting 3, so they
   * never overwrite each other's channel values (the integer scheme loses data there). The
   * fraction keeps at least 32 random bits for the first million steps of a thread.
   */
  override getNextVersion(current: number | undefined): number {
    const value = current as unknown;
    let counter = 0;
    if (typeof value === "number" && Number.isFinite(value)) counter = Math.floor(value);
    else if (typeof value === "string") counter = Math.floor(Number.parseFloat(value)) || 0; // another saver's string versions
    let fraction = Math.random();
    while (fraction === 0) fraction = Math.random();
    return counter + 1 + fraction;
  }

  /**
   * Tells a conversation's owner index about activity on its thread: moves it up in the listing
   * (`activity`) and records the thread's expiry deadline. Sent as soon as the thread script's
   * reply arrives and before the operation resolves, so every later command on this client sees
   * it. Not awaited (the operation stays one round trip; a failure is a process warning), unless
   * the thread's deadline moved: the owner's index must learn the new deadline, or it would drop a
   * live conversation when the old one passes. That happens once per tenth of a TTL.
   */
  private async touchConversation(owner: string, threadId: string, deadline: number, activity: boolean, deadlineMoved: boolean): Promise<void> {
    const touch = this.store.script("touchConversation", "touchConversation", [this.keys.userBase(owner)], [threadId, String(deadline), activity ? "1" : "0"]);
    if (deadlineMoved) await touch;
    else this.background("touchConversation", touch);
  }

  /**
   * Keeps track of an index update that was sent without being awaited: close() waits for it, and
   * a failure is reported as a process warning (indexes are repaired by readers; the data itself
   * was stored).
   */
  private background(operation: string, command: Promise<unknown>): void {
    const pending: Promise<void> = command
      .then(
        () => undefined,
        (err: unknown) => process.emitWarning(`langgraph-checkpoint-redis-tree: ${operation} index update failed: ${err instanceof Error ? err.message : String(err)}`, { code: "LGTREE_INDEX" }),
      )
      .finally(() => this.#background.delete(pending));
    this.#background.add(pending);
  }

  private async *listThread(threadId: string, query: ListQuery): AsyncGenerator<CheckpointTuple> {
    const base = this.keys.threadBase(threadId);
    let remaining = query.limit ?? Number.POSITIVE_INFINITY;
    let cursorId = query.before;
    let cursorNs = "";
    while (remaining > 0) {
      const pageSize = Math.min(remaining, LIST_PAGE_SIZE);
      const reply = (await this.store.script("list", "list", [base], [
        query.ns === undefined ? "*" : "1",
        query.ns ?? "",
        cursorId,
        cursorNs,
        query.only,
        String(pageSize),
        this.#refreshOnRead ? String(this.ttlMs) : "",
        String(query.filter.length / 2),
        ...query.filter,
      ])) as [number, number, Buffer | null, ...Reply[]];
      const [exists, pushed, threadOwner, ...tuples] = reply;
      if (exists === 0) {
        // Gone (deleted, expired): its entry in the thread index is stale; readers clean it.
        await this.client.zrem(this.keys.threadsIndex(), threadId);
        return;
      }
      if (pushed > 0 && threadOwner) await this.touchConversation(text(threadOwner), threadId, pushed, false, true);
      for (const raw of tuples) {
        const tuple = await this.parseTuple(threadId, raw as Reply[]);
        cursorId = checkpointIdOf(tuple);
        cursorNs = (tuple.config.configurable?.checkpoint_ns as string | undefined) ?? "";
        remaining -= 1;
        yield tuple;
      }
      if (tuples.length < pageSize || query.only !== "") return;
    }
  }

  private async parseTuple(threadId: string, reply: Reply[]): Promise<CheckpointTuple> {
    const [idRaw, nsRaw, recordRaw, parentRaw, blobsRaw, writesRaw, parentWritesRaw] = reply;
    const id = text(idRaw);
    const ns = text(nsRaw);
    const parent = parentRaw ? text(parentRaw) : undefined;
    const blobs = pairs((blobsRaw as Buffer[] | null) ?? []);
    const writes = sortWrites(parseWrites(writesRaw as Buffer[] | null));
    const sends = Array.isArray(parentWritesRaw) ? sortWrites(parseWrites(parentWritesRaw as Buffer[]).filter((w) => w.channel === TASKS)) : [];

    // Everything of the tuple is deserialised in one go (see loadMany).
    const [record, ...rest] = await this.loadMany([
      { ...unpackTyped(recordRaw as Buffer, "checkpoint"), what: "checkpoint" },
      ...blobs.map(([field, value]) => ({ ...unpackTyped(value, `channel value ${text(field)}`), what: `channel value ${text(field)}` })),
      ...writes.map((w) => ({ type: w.type, bytes: w.bytes, what: `write to "${w.channel}"` })),
      ...sends.map((w) => ({ type: w.type, bytes: w.bytes, what: "pending send" })),
    ]);
    const { checkpoint: bare, metadata, values } = record as StoredRecord;
    const checkpoint: Checkpoint = { ...bare, channel_values: { ...values } };

    const channelOfField = new Map<string, string>();
    for (const [channel, version] of Object.entries(checkpoint.channel_versions ?? {})) {
      channelOfField.set(blobField(channel, version), channel);
    }
    blobs.forEach(([field], i) => {
      const channel = channelOfField.get(text(field));
      if (channel !== undefined) checkpoint.channel_values[channel] = rest[i];
    });
    const pendingWrites = writes.map((w, i) => [w.taskId, w.channel, rest[blobs.length + i]] as CheckpointPendingWrite);

    if (Array.isArray(parentWritesRaw) && (checkpoint.v ?? 4) < 4) {
      // Checkpoints before format 4 kept pending sends in the parent's TASKS writes.
      checkpoint.channel_values[TASKS] = rest.slice(blobs.length + writes.length);
      const versions = Object.values(checkpoint.channel_versions ?? {});
      checkpoint.channel_versions = {
        ...checkpoint.channel_versions,
        [TASKS]: versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined),
      };
    }

    const tuple: CheckpointTuple = {
      config: { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: id } },
      checkpoint,
      metadata,
      pendingWrites,
    };
    if (parent !== undefined) {
      tuple.parentConfig = { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: parent } };
    }
    return tuple;
  }

  private threadIdOf(config: RunnableConfig, operation: string): string {
    return validThreadId(config?.configurable?.thread_id, operation);
  }

  private async dumpTyped(value: unknown, what: string): Promise<[string, Uint8Array]> {
    let dumped: [string, Uint8Array];
    try {
      dumped = await this.serde.dumpsTyped(value);
    } catch (err) {
      throw new SerializationError(`could not serialise ${what}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    // LangGraph's JSON serde does not throw on a value it cannot write (a BigInt, a throwing
    // toJSON): it writes a placeholder string instead, and the value would come back as that
    // string. Refuse it rather than store something else than what was given.
    const bytes = dumped[1];
    if (dumped[0] === "json" && bytes.byteLength === UNSERIALIZABLE_JSON.byteLength && value !== UNSERIALIZABLE && UNSERIALIZABLE_JSON.equals(bytes)) {
      throw new SerializationError(`could not serialise ${what}: the serde cannot represent it (a BigInt, a throwing toJSON?)`, undefined);
    }
    return dumped;
  }

  private async dump(value: unknown, what: string): Promise<Buffer> {
    const [type, bytes] = await this.dumpTyped(value, what);
    return packParts([type, bytes]);
  }

  /**
   * Deserialises a stored (packed) value with the saver's serde.
   * @internal
   */
  async load(packed: Buffer, what: string): Promise<unknown> {
    const { type, bytes } = unpackTyped(packed, what);
    return this.loadTyped(type, bytes, what);
  }

  /**
   * Deserialises several values. With LangGraph's own JSON serde, the JSON values are joined into
   * one JSON array and deserialised in one call: a tuple is a checkpoint, a few channel values and
   * some writes, and each separate call costs a parse, a revive pass and promises. The result is
   * the same value for value. A custom serde gets one call per value, as it expects.
   */
  private async loadMany(parts: Array<{ type: string; bytes: Buffer; what: string }>): Promise<unknown[]> {
    const json = this.#defaultSerde ? parts.flatMap((p, i) => (p.type === "json" ? [i] : [])) : [];
    const out = new Array<unknown>(parts.length);
    if (json.length > 1) {
      const joined: Buffer[] = [JSON_OPEN];
      json.forEach((i, k) => joined.push(...(k > 0 ? [JSON_COMMA] : []), parts[i]!.bytes));
      joined.push(JSON_CLOSE);
      let values: unknown[] | undefined;
      try {
        values = (await this.serde.loadsTyped("json", Buffer.concat(joined))) as unknown[];
      } catch {
        values = undefined; // deserialise one by one below, to name the value that fails
      }
      if (Array.isArray(values) && values.length === json.length) json.forEach((i, k) => (out[i] = values[k]));
    }
    await Promise.all(
      parts.map(async (p, i) => {
        if (!(i in out)) out[i] = await this.loadTyped(p.type, p.bytes, p.what);
      }),
    );
    return out;
  }

  private async loadTyped(type: string, bytes: Buffer, what: string): Promise<unknown> {
    try {
      return await this.serde.loadsTyped(type, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      throw new SerializationError(`could not deserialise ${what}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }
}

/** What a checkpoint's `checkpoint` field holds (through the serde). */
interface StoredRecord {
  checkpoint: Omit<Checkpoint, "channel_values">;
  metadata: CheckpointMetadata;
  /** Channel values that have no version in `channel_versions` (stored with the record, not as blobs). */
  values?: Record<string, unknown>;
}

/** LangGraph's DeltaSnapshot (a DeltaChannel's full value), checked by shape as LangGraph does. */
function isDeltaSnapshot(value: unknown): boolean {
  return value !== null && typeof value === "object" && (value as { lg_name?: unknown }).lg_name === "DeltaSnapshot";
}

interface ListQuery {
  ns: string | undefined;
  only: string;
  before: string;
  filter: string[];
  limit: number | undefined;
}

function validThreadId(value: unknown, operation: string): string {
  if (value === undefined || value === null) {
    throw new InvalidInputError(
      `${operation} needs config.configurable.thread_id, e.g. graph.invoke(input, { configurable: { thread_id: "t1" } })`,
    );
  }
  if (typeof value !== "string" || value === "") {
    throw new InvalidInputError(`${operation}: thread_id must be a non-empty string (got ${typeof value === "string" ? '""' : typeof value})`);
  }
  return wellFormed(value, "thread_id", operation);
}

/**
 * Ids become key bytes as UTF-8, where every lone surrogate turns into U+FFFD: two different ids
 * would share keys. Such ids are refused.
 */
function wellFormed(value: string, what: string, operation: string): string {
  if (!value.isWellFormed()) throw new InvalidInputError(`${operation}: ${what} must be well-formed unicode (it has a lone surrogate)`);
  return value;
}

function configCheckpointId(config: RunnableConfig, operation: string): string {
  const id = getCheckpointId(config) as unknown;
  if (typeof id !== "string") throw new InvalidInputError(`${operation}: checkpoint_id must be a string`);
  return wellFormed(id, "checkpoint_id", operation);
}

function namespaceOf(config: RunnableConfig): string {
  const ns = (config.configurable?.checkpoint_ns as unknown) ?? "";
  if (typeof ns !== "string") throw new InvalidInputError("config.configurable.checkpoint_ns must be a string");
  return wellFormed(ns, "checkpoint_ns", "checkpoint config");
}

/**
 * The checkpoint hash field holding the canonical JSON of one metadata key, for filters. The key
 * is JSON-quoted: JSON escapes lone surrogates, so no two keys share a field.
 */
function metadataField(key: string): string {
  return `m:${JSON.stringify(key)}`;
}

function listLengths(values: Record<string, unknown>): Record<string, number> {
  const lengths: Record<string, number> = {};
  for (const [channel, value] of Object.entries(values)) {
    const list = isDeltaSnapshot(value) ? (value as { value: unknown }).value : value;
    if (Array.isArray(list)) lengths[channel] = list.length;
  }
  return lengths;
}

function canonicalJsonOrUndefined(value: unknown): string | undefined {
  try {
    return canonicalJson(value);
  } catch {
    return undefined; // not JSON (a BigInt, a cycle): stored, but not filterable
  }
}

function filterArgs(filter: Record<string, unknown> | undefined): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(filter ?? {})) {
    // "" stands for "absent": canonical JSON is never the empty string.
    args.push(metadataField(key), value === undefined ? "" : (canonicalJsonOrUndefined(value) ?? "\u0000unfilterable"));
  }
  return args;
}

function unpackTyped(packed: Buffer, what: string): { type: string; bytes: Buffer } {
  let parts: Buffer[];
  try {
    parts = unpackParts(packed);
  } catch (err) {
    throw new SerializationError(`stored ${what} is not in this library's format`, err);
  }
  return { type: text(parts[0]), bytes: parts[1] ?? Buffer.alloc(0) };
}

function parseWrites(flat: Buffer[] | null): RawWrite[] {
  return pairs(flat ?? []).map(([, value]) => parseWrite(value));
}

function sortWrites(writes: RawWrite[]): RawWrite[] {
  return writes.sort(
    (a, b) => compareAsc(a.taskPath, b.taskPath) || compareAsc(a.taskId, b.taskId) || a.idx - b.idx,
  );
}

function pairs<T>(flat: T[]): Array<[T, T]> {
  const out: Array<[T, T]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

function text(value: Reply | undefined): string {
  return Buffer.isBuffer(value) ? value.toString("utf8") : "";
}

function checkpointIdOf(tuple: CheckpointTuple): string {
  return tuple.config.configurable?.checkpoint_id as string;
}

function compareAsc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareDesc(a: string, b: string): number {
  return compareAsc(b, a);
}
