/**
 * Index upkeep, in one place for the saver and the conversation layer: the thread index (every
 * thread of the prefix, its own slot), and each user's conversation indexes in the user's slot
 * (records, the listing by activity, tags, agents, expiry deadlines). Indexes that span slots are
 * written next to a thread's script, not atomically with it; readers treat an entry whose thread
 * is gone as absent and clean it up.
 *
 * Updates that must not cost a round trip (a thread's first appearance, activity on a put) are
 * not awaited; {@link Indexes.settled} waits for them, and a failure is a process warning (the
 * data itself was stored; readers repair indexes). A put's activity goes out beside the put when
 * this process knows the thread's owner (see {@link Indexes.beforePut}), else after its reply.
 */
import type { ForOperation, ListedConversation, Scripts, ThreadStatus } from "./scripts/scripts.js";

/** Threads whose owner (or lack of one) a process remembers; the oldest go first beyond it. */
const OWNERS_REMEMBERED = 10_000;

export class Indexes {
  readonly #scripts: Scripts;
  readonly #inFlight = new Set<Promise<void>>();
  /** Each thread's owner as the last put's reply gave it (null: not a conversation). */
  readonly #owners = new Map<string, string | null>();

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
   * A put of `threadId` is on its way: when this process knows the thread's owner, and the put is
   * not made for someone else (`acting`, whose put the script would refuse), the activity goes to
   * the owner's listing now, beside the put, so that a conversation's put costs the caller one
   * round trip (on one node both commands leave in one write; on a Cluster they go to their two
   * nodes at once). Returns the owner it went to, for {@link Indexes.afterPut}.
   */
  beforePut(threadId: string, acting: string | undefined): string | undefined {
    const owner = this.#owners.get(threadId);
    if (!owner || (acting !== undefined && acting !== owner)) return undefined;
    this.#background("touchConversation", this.#scripts.touchConversation(owner, threadId, { activity: true }));
    return owner;
  }

  /**
   * A put's reply named the thread's owner (or none) and its deadline: learns the owner, and sends
   * what {@link Indexes.beforePut} could not. When the owner changed since this process last saw
   * it (another process deleted the conversation and made it anew for someone else), the touch that
   * went ahead found no such conversation in the old owner's index and did nothing, so the listing
   * stays exact: the new owner is touched now. A moved deadline is awaited (see `touched`).
   */
  afterPut(threadId: string, sentTo: string | undefined, reply: { owner: string | null; deadline: number; deadlineMoved: boolean }): Promise<void> | undefined {
    this.#remember(threadId, reply.owner);
    if (reply.owner === null) return undefined; // most puts: no promise to make and wait for
    const activity = sentTo !== reply.owner;
    return activity || reply.deadlineMoved ? this.touched(reply.owner, threadId, reply.deadline, { activity, deadlineMoved: reply.deadlineMoved }) : undefined;
  }

  /** This process made or removed a conversation of `threadId`: its owner is now `owner`. */
  ownerIs(threadId: string, owner: string | null): void {
    this.#remember(threadId, owner);
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

  /**
   * A thread's status changed (a task of its head failed or was interrupted, or the head moved on
   * from one): its owner's status index learns it, not awaited. Updates of one thread carry their
   * sequence number, so that they apply in order whatever order they arrive in.
   */
  statusChanged(owner: string, threadId: string, status: ThreadStatus): void {
    this.#background("setConversationStatus", this.#scripts.setConversationStatus(owner, threadId, status));
  }

  /**
   * A thread's status read again (`reading`: a thread script's reply with it), sent to its owner's
   * index when it is newer than what the index has; not awaited.
   */
  statusRefresh(owner: string, threadId: string, reading: Promise<{ status: ThreadStatus }>): void {
    this.#background(
      "setConversationStatus",
      reading.then(({ status }) => (status.seq > 0 ? this.#scripts.setConversationStatus(owner, threadId, status) : undefined)),
    );
  }

  /** A new conversation: its record and index entries. The activity score. Throws ConversationExistsError. */
  add(
    owner: string,
    threadId: string,
    entry: ForOperation & { record: string; agentId: string | null; tags: readonly string[]; custom: readonly string[]; deadline: number; status: ThreadStatus },
  ): Promise<string> {
    return this.#scripts.indexConversation(owner, { threadId, ...entry });
  }

  /** A conversation's stored record (JSON), activity score and status, or null. */
  async get(owner: string, threadId: string, options: ForOperation = {}): Promise<ListedConversation | null> {
    await this.#ownUpdates();
    return this.#scripts.getConversation(owner, threadId, options);
  }

  /** One page of a user's conversations. */
  async page(owner: string, query: Parameters<Scripts["listConversations"]>[1]): Promise<{ total: number; more: boolean; continueAfter: string; rows: ListedConversation[] }> {
    await this.#ownUpdates();
    return this.#scripts.listConversations(owner, query);
  }

  /**
   * Reads of the owner's indexes first wait for the updates this process has in flight, so that a
   * process reads what it wrote (a graph turn's status, its activity). An update sent beside a
   * reply goes on its own and can be overtaken by a later read: the first call of a script on a
   * server loads its library before it runs (src/scripts/functions.ts).
   */
  async #ownUpdates(): Promise<void> {
    if (this.#inFlight.size > 0) await this.settled();
  }

  /**
   * Replaces a conversation's record if it is still `current` (compare-and-set), moving its tag
   * and agent entries. The new activity score; null when it does not exist; throws ChangedError.
   */
  replace(owner: string, threadId: string, change: Parameters<Scripts["updateConversation"]>[2]): Promise<string | null> {
    return this.#scripts.updateConversation(owner, threadId, change);
  }

  /** The owner's side of a run's lease on a conversation (see ConversationManager.run). */
  lease(owner: string, threadId: string, change: Parameters<Scripts["leaseConversation"]>[2]): Promise<void> {
    return this.#scripts.leaseConversation(owner, threadId, change);
  }

  /** Drops a conversation from its owner's indexes; whether it was there. */
  remove(owner: string, threadId: string, options: ForOperation = {}): Promise<boolean> {
    return this.#scripts.unindexConversation(owner, threadId, options);
  }

  /** Records a conversation's new expiry deadline (0: none), awaited. */
  async deadline(owner: string, threadId: string, deadline: number, options: ForOperation = {}): Promise<void> {
    await this.#scripts.touchConversation(owner, threadId, { ...options, deadline, activity: false });
  }

  #remember(threadId: string, owner: string | null): void {
    this.#owners.delete(threadId);
    this.#owners.set(threadId, owner);
    // Map keeps insertion order: the first entry is the one least recently learnt.
    for (const [oldest] of this.#owners) {
      if (this.#owners.size <= OWNERS_REMEMBERED) break;
      this.#owners.delete(oldest);
    }
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
