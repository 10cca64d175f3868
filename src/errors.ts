/**
 * Errors thrown by this library. Every error is a {@link RedisTreeError} with a stable `code`, so
 * callers can branch on `err.code` or on a guard (`isNotFoundError(err)`) rather than on message
 * text. Prefer the guards to `instanceof`: when an application loads both the ES module and the
 * CommonJS build (two copies of each class), `instanceof` answers false for the other copy's
 * errors; the guards recognise both.
 *
 * @example
 * ```ts
 * try {
 *   await conversations.addMessage(threadId, message, { userId });
 * } catch (err) {
 *   if (isNotFoundError(err)) return res.status(404).end();
 *   if (isInvalidInputError(err)) return res.status(400).json(err.issues);
 *   throw err;
 * }
 * ```
 */

/** Every `code` a {@link RedisTreeError} can have. */
export type ErrorCode = "INVALID_INPUT" | "NOT_FOUND" | "CONFLICT" | "STORAGE_ERROR" | "SERIALIZATION_ERROR" | "EVICTION_POLICY" | "NOT_DURABLE";

/** Marks this library's errors across copies of the library (Symbol.for is shared by all). */
const BRAND = Symbol.for("langgraph-checkpoint-redis-tree.error");

export class RedisTreeError extends Error {
  /** Stable machine-readable code, e.g. `INVALID_INPUT`. */
  readonly code: ErrorCode;
  override name = "RedisTreeError";

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(`langgraph-checkpoint-redis-tree: ${message}`, options);
    this.code = code;
  }

  /** @internal */
  get [BRAND](): true {
    return true;
  }
}

/**
 * The caller passed something this library refuses: a config without `thread_id`, a malformed
 * option, a value of the wrong type. Nothing was written.
 *
 * @example
 * ```ts
 * await saver.putWrites({ configurable: { thread_id: "t" } }, writes, "task"); // no checkpoint_id
 * // throws InvalidInputError (code "INVALID_INPUT")
 * ```
 */
export class InvalidInputError extends RedisTreeError {
  override name = "InvalidInputError";
  /** Structured details (for example zod issues) when there are any. */
  readonly issues: readonly unknown[];

  constructor(message: string, options?: { cause?: unknown; issues?: readonly unknown[] }) {
    super("INVALID_INPUT", message, options);
    this.issues = options?.issues ?? [];
  }
}

/**
 * A Redis command or script failed (connection lost, out of memory, a script error), or a thread
 * lost something a read needs (a channel value, a DeltaChannel's seed, an ancestor on the way).
 * The original ioredis error is kept as `cause`. Scripts check their inputs (owner,
 * compare-and-set, existence) before their first write, so a refused write changed nothing; the
 * writing scripts declare themselves to Redis (`#!lua`), so a Redis out of memory refuses them
 * whole before they run (an `OOM` cause), and a server that dies mid-script recovers from its AOF
 * as it was before or after the script.
 *
 * @example
 * ```ts
 * catch (err) { if (isStorageError(err)) console.error(err.operation, err.cause); }
 * ```
 */
export class StorageError extends RedisTreeError {
  override name = "StorageError";
  /** The saver operation that failed, e.g. `put`. */
  readonly operation: string;

  constructor(operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("STORAGE_ERROR", `${operation} failed: ${reason}`, { cause });
    this.operation = operation;
  }
}

/**
 * The Redis the saver was given may evict its keys: its `maxmemory-policy` is `allkeys-*`, or
 * `volatile-*` while threads have a TTL. Evicting part of a thread leaves it wrong (a checkpoint
 * without its channel values, an index naming what is gone), so the saver refuses to work there
 * unless told `allowEviction: true`. Checked on the first operation of each client (`INFO memory`);
 * nothing was written.
 *
 * @example
 * ```ts
 * catch (err) { if (isEvictionPolicyError(err)) console.error(err.policy); } // "allkeys-lru"
 * ```
 */
export class EvictionPolicyError extends RedisTreeError {
  override name = "EvictionPolicyError";
  /** The policy found, e.g. `allkeys-lru`. */
  readonly policy: string;

  constructor(policy: string, why: string) {
    super(
      "EVICTION_POLICY",
      `Redis has maxmemory-policy ${policy}, which ${why}; use noeviction (see the README, "Running Redis for checkpoints"), or pass allowEviction: true to accept it`,
    );
    this.policy = policy;
  }
}

/**
 * A write was made on the primary but fewer replicas than the saver's `durability.replicas`
 * acknowledged it within `durability.timeoutMs`: a failover now could lose it. The write is not
 * undone (Redis cannot); the caller learns it is not durable. Run the step again, or read the
 * thread back, once the replicas catch up.
 *
 * @example
 * ```ts
 * catch (err) { if (isDurabilityError(err)) console.warn(err.acknowledged, "of", err.required); }
 * ```
 */
export class DurabilityError extends RedisTreeError {
  override name = "DurabilityError";
  readonly operation: string;
  /** Replicas that acknowledged the write. */
  readonly acknowledged: number;
  /** Replicas the saver asks for. */
  readonly required: number;

  constructor(operation: string, acknowledged: number, required: number, timeoutMs: number) {
    super("NOT_DURABLE", `${operation}: ${acknowledged} of ${required} replica(s) acknowledged the write within ${timeoutMs} ms`);
    this.operation = operation;
    this.acknowledged = acknowledged;
    this.required = required;
  }
}

/**
 * A value could not be serialised or deserialised by the saver's `serde`. Nothing was written.
 *
 * @example
 * ```ts
 * catch (err) { if (isSerializationError(err)) console.error(err.message); }
 * ```
 */
export class SerializationError extends RedisTreeError {
  override name = "SerializationError";

  constructor(message: string, cause: unknown) {
    super("SERIALIZATION_ERROR", message, { cause });
  }
}

/**
 * The conversation (or the checkpoint asked for) does not exist, or it is not the caller's: both
 * get this same error, so that a user cannot learn whether someone else's conversation exists.
 *
 * @example
 * ```ts
 * try { await conversations.addMessage(threadId, msg, { userId }); }
 * catch (err) { if (isNotFoundError(err)) res.status(404).end(); }
 * ```
 */
export class NotFoundError extends RedisTreeError {
  override name = "NotFoundError";
  readonly threadId: string;
  readonly checkpointId: string | undefined;

  constructor(threadId: string, checkpointId?: string) {
    super(
      "NOT_FOUND",
      checkpointId === undefined
        ? `conversation ${quoteId(threadId)} not found`
        : `checkpoint ${quoteId(checkpointId)} of conversation ${quoteId(threadId)} not found`,
    );
    this.threadId = threadId;
    this.checkpointId = checkpointId;
  }
}

/**
 * A conversation cannot be created with that thread id: one already exists on the thread.
 *
 * @example
 * ```ts
 * catch (err) { if (isConversationExistsError(err)) res.status(409).end(); }
 * ```
 */
export class ConversationExistsError extends RedisTreeError {
  override name = "ConversationExistsError";
  readonly threadId: string;

  constructor(threadId: string) {
    super("CONFLICT", `thread ${quoteId(threadId)} already has a conversation`);
    this.threadId = threadId;
  }
}

/**
 * A {@link ConversationManager.run} could not have the conversation: another run holds it (with
 * `multitask: "reject"`, `reason: "busy"`), a newer run with `multitask: "interrupt"` stopped this
 * one at its next checkpoint (`reason: "interrupted"`), or this run's lease ran out while it ran
 * (its process stalled longer than `leaseMs`) and another run may have taken the conversation
 * (`reason: "lease-lost"`; the run was cancelled at that point).
 *
 * @example
 * ```ts
 * catch (err) { if (isConversationBusyError(err)) res.status(409).json({ error: "the assistant is still answering" }); }
 * ```
 */
export class ConversationBusyError extends RedisTreeError {
  override name = "ConversationBusyError";
  readonly threadId: string;
  readonly reason: "busy" | "interrupted" | "lease-lost";

  constructor(threadId: string, reason: "busy" | "interrupted" | "lease-lost") {
    super(
      "CONFLICT",
      reason === "busy"
        ? `conversation ${quoteId(threadId)} is busy with another run`
        : reason === "interrupted"
          ? `the run on conversation ${quoteId(threadId)} was stopped at a checkpoint for a newer run (multitask "interrupt")`
          : `the run on conversation ${quoteId(threadId)} lost its lease and was cancelled`,
    );
    this.threadId = threadId;
    this.reason = reason;
  }
}

/**
 * A compare-and-set lost: what was read changed before the write (another writer on the same
 * conversation). The operations that meet it read again and retry; it reaches a caller only as a
 * CONFLICT {@link RedisTreeError} when the retries run out.
 * @internal
 */
export class ChangedError extends RedisTreeError {
  override name = "ChangedError";

  constructor(operation: string) {
    super("CONFLICT", `${operation}: the conversation changed while it was written`);
  }
}

/** Whether `err` is an error of this library (of any copy of it: ESM or CommonJS). */
export function isRedisTreeError(err: unknown): err is RedisTreeError {
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/** A guard for one error class, by its name (which every copy of the library shares). */
function guardFor<T extends RedisTreeError>(name: T["name"]): (err: unknown) => err is T {
  return (err: unknown): err is T => isRedisTreeError(err) && err.name === name;
}

/** Whether `err` is an {@link InvalidInputError}. */
export const isInvalidInputError = guardFor<InvalidInputError>("InvalidInputError");

/** Whether `err` is a {@link NotFoundError}. */
export const isNotFoundError = guardFor<NotFoundError>("NotFoundError");

/** Whether `err` is a {@link ConversationExistsError}. */
export const isConversationExistsError = guardFor<ConversationExistsError>("ConversationExistsError");

/** Whether `err` is a {@link ConversationBusyError}. */
export const isConversationBusyError = guardFor<ConversationBusyError>("ConversationBusyError");

/** Whether `err` is a {@link StorageError}. */
export const isStorageError = guardFor<StorageError>("StorageError");

/** Whether `err` is a {@link SerializationError}. */
export const isSerializationError = guardFor<SerializationError>("SerializationError");

/** Whether `err` is an {@link EvictionPolicyError}. */
export const isEvictionPolicyError = guardFor<EvictionPolicyError>("EvictionPolicyError");

/** Whether `err` is a {@link DurabilityError}. */
export const isDurabilityError = guardFor<DurabilityError>("DurabilityError");

/** Whether `err` is the internal {@link ChangedError} (a lost compare-and-set). @internal */
export const isChangedError = guardFor<ChangedError>("ChangedError");

/** A thread id for a message: quoted, and cut short (ids may be 10 KB). */
function quoteId(id: string): string {
  return JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
}
