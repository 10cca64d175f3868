/**
 * Errors thrown by this library. Every error is a {@link RedisTreeError} with a stable `code`, so
 * callers can branch on `err.code` (or on the subclass) rather than on message text.
 *
 * @example
 * ```ts
 * try {
 *   await saver.put({ configurable: {} }, checkpoint, metadata, {});
 * } catch (err) {
 *   if (err instanceof InvalidInputError) console.error(err.code, err.message);
 * }
 * ```
 */
export class RedisTreeError extends Error {
  /** Stable machine-readable code, e.g. `INVALID_INPUT`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(`langgraph-checkpoint-redis-tree: ${message}`, options);
    this.name = new.target.name;
    this.code = code;
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
  /** Structured details (for example zod issues) when there are any. */
  readonly issues: readonly unknown[];

  constructor(message: string, options?: { cause?: unknown; issues?: readonly unknown[] }) {
    super("INVALID_INPUT", message, options);
    this.issues = options?.issues ?? [];
  }
}

/**
 * A Redis command or script failed (connection lost, out of memory, a script error). The original
 * ioredis error is kept as `cause`. Scripts check their inputs (owner, compare-and-set, existence)
 * before their first write, so a refused write changed nothing; Redis does not roll a script back
 * if a command inside it fails (out of memory), and a server that dies mid-script recovers from
 * its AOF as it was before or after the script.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof StorageError) console.error(err.operation, err.cause); }
 * ```
 */
export class StorageError extends RedisTreeError {
  /** The saver operation that failed, e.g. `put`. */
  readonly operation: string;

  constructor(operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super("STORAGE_ERROR", `${operation} failed: ${reason}`, { cause });
    this.operation = operation;
  }
}

/**
 * A value could not be serialised or deserialised by the saver's `serde`. Nothing was written.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof SerializationError) console.error(err.message); }
 * ```
 */
export class SerializationError extends RedisTreeError {
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
 * catch (err) { if (err instanceof NotFoundError) res.status(404).end(); }
 * ```
 */
export class NotFoundError extends RedisTreeError {
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
 * catch (err) { if (err instanceof ConversationExistsError) res.status(409).end(); }
 * ```
 */
export class ConversationExistsError extends RedisTreeError {
  readonly threadId: string;

  constructor(threadId: string) {
    super("CONFLICT", `thread ${quoteId(threadId)} already has a conversation`);
    this.threadId = threadId;
  }
}

/** A thread id for a message: quoted, and cut short (ids may be 10 KB). */
function quoteId(id: string): string {
  return JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}…` : id);
}
