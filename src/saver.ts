import { once } from "node:events";
import { Cluster, Redis } from "ioredis";
import type { ClusterNode, ClusterOptions, RedisOptions } from "ioredis";
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver,
  getCheckpointId,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type DeltaChannelHistory,
  type PendingWrite,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import { InvalidInputError } from "./errors.js";
import { Indexes } from "./indexes.js";
import { registerInternals } from "./internal.js";
import { KeySpace } from "./keys.js";
import { Scripts, type RedisClient } from "./scripts/scripts.js";
import { Serde } from "./threads/serde.js";
import { Threads, type CheckpointRef } from "./threads/threads.js";

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
  /**
   * Work on a Redis whose `maxmemory-policy` may evict the saver's keys (`allkeys-*`, or
   * `volatile-*` when threads have a TTL). By default the saver refuses it with an
   * EvictionPolicyError on its first operation: a thread evicted in part reads wrong. With `true`,
   * a checkpoint whose channel value or list element was evicted reads as a StorageError, but an
   * evicted checkpoint or thread record reads as absent.
   * @default false
   */
  allowEviction?: boolean;
  /**
   * Every write (put, putWrites, and the manager's writes) waits until `replicas` replicas have
   * it, with Redis `WAIT` sent in the same pipeline as the write's script (still one round trip),
   * and fails with a DurabilityError when fewer acknowledge within `timeoutMs`. A failover to a
   * replica then never loses a write the caller saw succeed. Costs the replication delay on
   * every write.
   * @default no waiting (Redis replication is asynchronous)
   */
  durability?: { replicas: number; timeoutMs: number };
  /**
   * The largest serialised value the saver stores: a channel value, one element of a list, a
   * pending write, or a checkpoint with its metadata. A larger one is refused with an
   * InvalidInputError naming it, and nothing is written. Redis runs each write as one script that
   * no other client can interleave with, and a value costs about 4 ms of server time per MiB to
   * write and as much to read (measured on Redis 7.0), so the default, 4 MiB, keeps a put near
   * 20 ms of server time at worst while leaving room for a base64 image in a multimodal message.
   * Keep bigger files in object storage and reference them from the state.
   * @default 4 MiB (4 * 1024 * 1024)
   */
  maxValueBytes?: number;
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

/**
 * Checkpoints one call of a walking script visits at most (src/lua/includes/delta-walk.lua), and
 * about how many bytes of values it returns; the script also stops after about 4 ms of server
 * time. A longer walk continues in further calls, so that no call keeps Redis busy for long
 * (`npm run bench:delta` measures the server time per call).
 */
const WALK_MAX_NODES = 2000;
const WALK_MAX_BYTES = 8 * 1024 * 1024;

/** The default of the `maxValueBytes` option (see there). */
const DEFAULT_MAX_VALUE_BYTES = 4 * 1024 * 1024;
/** The largest string Redis takes by default (`proto-max-bulk-len`, 512 MiB). */
const REDIS_MAX_BULK_BYTES = 512 * 1024 * 1024;

/**
 * Checkpoints one call of `list` with a filter examines at most (some 2.5 ms of server time): a
 * filter that matches little continues in further calls instead of walking the whole thread in one.
 */
const LIST_MAX_EXAMINED = 500;

/**
 * Bytes of checkpoints one `list` call returns at most, past its first (about 5 ms of server
 * time: copying a value through Lua costs some 5 µs a KB): a page of 100 checkpoints of a long
 * conversation continues in further calls instead of copying megabytes in one.
 */
const LIST_MAX_BYTES = 1024 * 1024;

/**
 * Conversations one call of a filtered listConversations walks at most (some 3 to 7 ms of server
 * time, 3 to 7 µs each with its index lookups): a filter combination that matches little goes on
 * in further calls.
 */
const CONVERSATIONS_MAX_WALKED = 1000;

/**
 * What one call of a script that works in steps handles at most: keys removed by deleteThread,
 * checkpoints and channel values removed by prune (and by a shallow put), checkpoints measured by
 * the inspector's stats. Each such call takes some 1 to 4 ms of server time at 250 (a prune's
 * removal of a checkpoint, its writes and its index entries is the dearest, some 14 µs).
 */
const STEP = 250;

/**
 * Tasks' writes of one thread that one putWrites script call carries at most: the tasks of a step
 * that finish in the same turn of the event loop share one call (src/scripts/scripts.ts putWrites).
 * A call of 64 small tasks takes about 2 ms of server time (`SLOWLOG`); 256 took 11 ms.
 */
const WRITE_GROUPS = 64;

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
  readonly #threads: Threads;
  readonly #indexes: Indexes;
  readonly #ownsClient: boolean;

  /**
   * @param internal for this library's own use: `ownsClient` (fromUrl, fromCluster) and
   *   `walkMaxNodes` (tests lower it to exercise walks, and filtered list pages, of several calls)
   *   and `step` (tests lower it to exercise deletes, prunes and stats of several calls),
   *   `listMaxBytes` (tests lower it to exercise list pages of several calls), and `writeGroups`
   *   (1 sends each putWrites at once, as a benchmark compares)
   */
  constructor(options: RedisSaverOptions, internal?: { ownsClient?: boolean; walkMaxNodes?: number; step?: number; listMaxBytes?: number; writeGroups?: number }) {
    super(options?.serde);
    if (options === null || typeof options !== "object" || options.client == null) {
      throw new InvalidInputError("RedisSaver needs an ioredis client: new RedisSaver({ client: new Redis(url) })");
    }
    if (typeof (options.client as Partial<Redis>).defineCommand !== "function") {
      throw new InvalidInputError("RedisSaver option `client` must be an ioredis Redis or Cluster instance");
    }
    const prefix = options.prefix ?? "lg";
    // A lone surrogate reaches Redis as U+FFFD (UTF-8 has no other spelling for it), so two such
    // prefixes would share keys.
    if (typeof prefix !== "string" || prefix === "" || /[{}]/.test(prefix) || !prefix.isWellFormed()) {
      throw new InvalidInputError(
        `RedisSaver option \`prefix\` must be a non-empty, well-formed unicode string without "{" or "}" (got ${JSON.stringify(prefix)})`,
      );
    }
    const { defaultTTL, refreshOnRead = false } = options.ttl ?? {};
    if (defaultTTL !== undefined && (typeof defaultTTL !== "number" || !Number.isFinite(defaultTTL) || defaultTTL <= 0)) {
      throw new InvalidInputError(`RedisSaver option \`ttl.defaultTTL\` must be a positive number of minutes (got ${String(defaultTTL)})`);
    }
    const historyCacheWrites = options.historyCacheWrites ?? 10_000;
    if (!Number.isInteger(historyCacheWrites) || historyCacheWrites < 0) {
      throw new InvalidInputError(`RedisSaver option \`historyCacheWrites\` must be a non-negative integer (got ${String(historyCacheWrites)})`);
    }
    const maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    if (!Number.isInteger(maxValueBytes) || maxValueBytes < 1 || maxValueBytes > REDIS_MAX_BULK_BYTES) {
      throw new InvalidInputError(`RedisSaver option \`maxValueBytes\` must be an integer from 1 to ${REDIS_MAX_BULK_BYTES} (got ${String(maxValueBytes)})`);
    }
    const ttlMs = defaultTTL === undefined ? 0 : Math.max(1, Math.round(defaultTTL * 60_000));
    this.client = options.client;
    this.prefix = prefix;
    this.#ownsClient = internal?.ownsClient ?? false;
    const scripts = new Scripts(options.client, new KeySpace(prefix), {
      maxNodes: internal?.walkMaxNodes ?? WALK_MAX_NODES,
      maxBytes: WALK_MAX_BYTES,
      maxExamined: internal?.walkMaxNodes ?? LIST_MAX_EXAMINED,
      maxListBytes: internal?.listMaxBytes ?? LIST_MAX_BYTES,
      maxWalked: internal?.walkMaxNodes ?? CONVERSATIONS_MAX_WALKED,
      step: internal?.step ?? STEP,
      writeGroups: internal?.writeGroups ?? WRITE_GROUPS,
    }, {
      allowEviction: options.allowEviction === true,
      ttl: ttlMs > 0,
      durability: durabilityOf(options.durability),
    });
    this.#indexes = new Indexes(scripts);
    this.#threads = new Threads({
      scripts,
      indexes: this.#indexes,
      serde: new Serde(this.serde, options.serde === undefined, maxValueBytes),
      ttlMs,
      refreshOnRead: refreshOnRead === true && ttlMs > 0,
      shallow: options.shallow === true,
      historyCacheWrites,
      firstVersion: () => this.getNextVersion(undefined),
    });
    registerInternals(this, { threads: this.#threads, indexes: this.#indexes });
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
   * {@link RedisSaver.fromCluster}), after the putWrites calls and the index updates in flight; a
   * client passed in stays open, since its owner may still use it.
   */
  async close(): Promise<void> {
    await this.#threads.writesSettled();
    await this.#indexes.settled();
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
    return this.#threads.readTuple(refOf(config, "getTuple"));
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
    const ns = config.configurable?.checkpoint_ns as unknown;
    if (ns !== undefined && typeof ns !== "string") throw new InvalidInputError("config.configurable.checkpoint_ns must be a string");
    const query = { ns: ns, only: configCheckpointId(config, "list"), before: before ? configCheckpointId(before, "list before") : undefined, filter, limit };
    if (config.configurable?.thread_id !== undefined) {
      yield* this.#threads.listThread(validThreadId(config.configurable.thread_id, "list"), query);
      return;
    }
    // No thread: every thread of this prefix, from the thread index. For administration.
    yield* await this.#threads.listAll(query);
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
    const config = options.config;
    const histories = config?.configurable?.thread_id === undefined ? {} : await this.#threads.deltaHistories(refOf(config, "getDeltaChannelHistory"), [...new Set(channels as string[])]);
    return Object.fromEntries((channels as string[]).map((c) => [c, histories[c] ?? { writes: [] }]));
  }

  /**
   * Stores a checkpoint. Only the channels named in `newVersions` are written, each as a blob keyed
   * by channel and version; channels not re-written are read from the blob of the version the
   * checkpoint names. Atomic and one round trip.
   */
  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    const threadId = validThreadId(config?.configurable?.thread_id, "put");
    const ns = namespaceOf(config);
    if (typeof checkpoint?.id !== "string" || checkpoint.id === "") {
      throw new InvalidInputError("put needs a checkpoint with a non-empty string `id`");
    }
    wellFormed(checkpoint.id, "checkpoint id", "put");
    return this.#threads.write({ threadId, ns, parentId: configCheckpointId(config, "put") }, checkpoint, metadata, newVersions);
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
    const threadId = validThreadId(config?.configurable?.thread_id, "putWrites");
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
    await this.#threads.writeWrites({ threadId, ns, checkpointId }, writes, taskId, taskPath);
  }

  /**
   * Deletes every checkpoint, blob and write of a thread in every namespace, and its index entries.
   * Only the thread with exactly this id is touched: ids are never used as patterns.
   */
  async deleteThread(threadId: string): Promise<void> {
    await this.#threads.remove(validThreadId(threadId, "deleteThread"));
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
    return this.#threads.prune(
      threadIds.map((id) => validThreadId(id, "prune")),
      keepLast,
    );
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
}

/** The checkpoint a config names (checkpoint_id "" or absent: the head), checked. */
function refOf(config: RunnableConfig, operation: string): CheckpointRef {
  return { threadId: validThreadId(config?.configurable?.thread_id, operation), ns: namespaceOf(config), checkpointId: configCheckpointId(config, operation) };
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

/** A config's checkpoint id; undefined when it names none (LangGraph's "" too): the latest. */
function configCheckpointId(config: RunnableConfig, operation: string): string | undefined {
  const id = getCheckpointId(config) as unknown;
  if (typeof id !== "string") throw new InvalidInputError(`${operation}: checkpoint_id must be a string`);
  return id === "" ? undefined : wellFormed(id, "checkpoint_id", operation);
}

function namespaceOf(config: RunnableConfig): string {
  const ns = (config.configurable?.checkpoint_ns as unknown) ?? "";
  if (typeof ns !== "string") throw new InvalidInputError("config.configurable.checkpoint_ns must be a string");
  return wellFormed(ns, "checkpoint_ns", "checkpoint config");
}

function durabilityOf(durability: RedisSaverOptions["durability"]): { replicas: number; timeoutMs: number } | undefined {
  if (durability === undefined) return undefined;
  const { replicas, timeoutMs } = (durability ?? {}) as Partial<{ replicas: number; timeoutMs: number }>;
  if (!Number.isInteger(replicas) || replicas! < 1 || !Number.isInteger(timeoutMs) || timeoutMs! < 1) {
    throw new InvalidInputError(`RedisSaver option \`durability\` must be { replicas, timeoutMs } with positive integers (got ${JSON.stringify(durability)})`);
  }
  return { replicas: replicas!, timeoutMs: timeoutMs! };
}
