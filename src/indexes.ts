/**
 * Index upkeep, in one place for the saver and the conversation layer: the thread index (every
 * thread of the prefix, its own slot), and each user's conversation indexes in the user's slot
 * (records, the listing by activity, tags, agents, expiry deadlines). Indexes that span slots are
 * written next to a thread's script, not atomically with it; readers treat an entry whose thread
 * is gone as absent and clean it up.
 *
 * Updates that must not cost a round trip (a thread's first appearance, activity on a put) are
 * sent as soon as the thread's reply arrives and not awaited; {@link Indexes.settled} waits for
 * them, and a failure is a process warning (the data itself was stored; readers repair indexes).
 */
import type { ForOperation, ListedConversation, Scripts } from "./scripts/scripts.js";

export class Indexes {
  readonly #scripts: Scripts;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(scripts: Scripts) {
    this.#scripts = scripts;
  }

  /**
   * A thread's first checkpoint of a namespace was stored: enter it in the thread index, keeping
   * an earlier entry (not awaited).
   */
  threadAppeared(threadId: string): void {
    this.#background("put", this.#scripts.indexThread("put", threadId, Date.now(), { keepEarlier: true }));
  }

  /** A new thread was planted whole (forks): its entry in the thread index, dated `atMs`. */
  async threadPlanted(threadId: string, atMs: number): Promise<void> {
    await this.#scripts.indexThread("forkConversation", threadId, atMs, { keepEarlier: false });
  }

  /** A thread is gone (deleted, expired): its thread index entry goes. */
  async threadGone(operation: string, threadId: string): Promise<void> {
    await this.#scripts.threadGone(operation, threadId);
  }

  /** Every thread of the prefix, from the thread index (never a keyspace scan). */
  allThreads(operation: string, order: "oldest first" | "newest first"): Promise<string[]> {
    return this.#scripts.allThreads(operation, order);
  }

  /**
   * Activity on a conversation's thread: moves it up in its owner's listing (`activity`) and
   * records the thread's expiry deadline. Not awaited, unless the deadline moved: the owner's
   * index must learn it, or it would drop a live conversation when the old deadline passes (that
   * happens once per tenth of a TTL).
   */
  async touched(owner: string, threadId: string, deadline: number, change: { activity: boolean; deadlineMoved: boolean }): Promise<void> {
    const touch = this.#scripts.touchConversation(owner, threadId, { deadline, activity: change.activity });
    if (change.deadlineMoved) await touch;
    else this.#background("touchConversation", touch);
  }

  /** A new conversation: its record and index entries. The activity score. Throws ConversationExistsError. */
  add(owner: string, threadId: string, entry: ForOperation & { record: string; agentId: string | null; tags: readonly string[]; deadline: number }): Promise<string> {
    return this.#scripts.indexConversation(owner, { threadId, ...entry });
  }

  /** A conversation's stored record (JSON) and activity score, or null. */
  get(owner: string, threadId: string, options: ForOperation = {}): Promise<{ record: Buffer; score: string } | null> {
    return this.#scripts.getConversation(owner, threadId, options);
  }

  /** One page of a user's conversations. */
  page(owner: string, query: Parameters<Scripts["listConversations"]>[1]): Promise<{ total: number; more: boolean; continueAfter: string; rows: ListedConversation[] }> {
    return this.#scripts.listConversations(owner, query);
  }

  /**
   * Replaces a conversation's record if it is still `current` (compare-and-set), moving its tag
   * and agent entries. The new activity score; null when it does not exist; throws ChangedError.
   */
  replace(owner: string, threadId: string, change: Parameters<Scripts["updateConversation"]>[2]): Promise<string | null> {
    return this.#scripts.updateConversation(owner, threadId, change);
  }

  /** Drops a conversation from its owner's indexes; whether it was there. */
  remove(owner: string, threadId: string, options: ForOperation = {}): Promise<boolean> {
    return this.#scripts.unindexConversation(owner, threadId, options);
  }

  /** Records a conversation's new expiry deadline (0: none), awaited. */
  async deadline(owner: string, threadId: string, deadline: number, options: ForOperation = {}): Promise<void> {
    await this.#scripts.touchConversation(owner, threadId, { ...options, deadline, activity: false });
  }

  /** Waits for the updates sent without being awaited. */
  async settled(): Promise<void> {
    await Promise.all(this.#inFlight);
  }

  #background(operation: string, command: Promise<unknown>): void {
    const pending: Promise<void> = command
      .then(
        () => undefined,
        (err: unknown) => process.emitWarning(`langgraph-checkpoint-redis-tree: ${operation} index update failed: ${err instanceof Error ? err.message : String(err)}`, { code: "LGTREE_INDEX" }),
      )
      .finally(() => this.#inFlight.delete(pending));
    this.#inFlight.add(pending);
  }
}
