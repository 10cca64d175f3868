import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { BaseMessage } from "@langchain/core/messages";
import { copyCheckpoint, emptyCheckpoint, maxChannelVersion, uuid6, type Checkpoint, type CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import type { z } from "zod";
import { compareDesc } from "../codec.js";
import { ConversationBusyError, InvalidInputError, NotFoundError, RedisTreeError, StorageError, isChangedError, isNotFoundError } from "../errors.js";
import type { Indexes } from "../indexes.js";
import { internalsOf } from "../internal.js";
import type { RedisSaver } from "../saver.js";
import type { Threads } from "../threads/threads.js";
import { decodeCursor, encodeCursor, type ListingKey } from "./cursor.js";
import { readTreeDocument, type TreeDocument } from "./document.js";
import { importedMetadata, planImport } from "./import.js";
import { appendMessage, isBaseMessage, messagesIn, toMessage } from "./messages.js";
import { customIndex, dedupe, newRecord, parseRecord, toConversation, treeMetadata, type Conversation, type StoredConversation } from "./records.js";
import type { ConversationStatus, ListedConversation, ThreadStatus } from "../scripts/scripts.js";
import {
  AccessSchema,
  BranchNameSchema,
  CheckpointIdSchema,
  ConversationMetadataSchema,
  ConversationPatchSchema,
  ConversationTTLSchema,
  CreateConversationInputSchema,
  ForkConversationInputSchema,
  GetMessagesInputSchema,
  ImportConversationOptionsSchema,
  ListConversationsInputSchema,
  MessageInputSchema,
  RunOptionsSchema,
  ThreadIdSchema,
  type Access,
  type ConversationPatch,
  type CreateConversationInput,
  type ForkConversationInput,
  type GetMessagesInput,
  type ImportConversationOptions,
  type ListConversationsInput,
  type MessageInput,
  type RunOptions,
} from "./schemas.js";
import { messagesOf, rebuildMessages } from "./state.js";
import { buildTree, type CheckpointNode } from "./tree.js";

export type { Conversation } from "./records.js";

/** One branch of a conversation: a path from its first checkpoint to a tip. */
export interface Branch {
  /** The branch's tip. */
  checkpointId: string;
  /** The branch's name, if it (or a checkpoint on it) was named. */
  name?: string;
  /** Whether this is the branch the conversation continues on (exactly one is). */
  active: boolean;
  /** Messages in the tip's state. */
  messageCount: number;
  /** The tip's timestamp. */
  updatedAt: string;
}

/** One page of {@link ConversationManager.listConversations}. */
export interface ConversationPage {
  conversations: Conversation[];
  /** How many conversations match, across all pages. */
  total: number;
  /** Pass as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

/** Options of {@link ConversationManager}. */
export interface ConversationManagerOptions {
  /** The saver whose threads hold the conversations (same client, same prefix). */
  saver: RedisSaver;
  /**
   * The state channel that holds the conversation's messages.
   * @default "messages"
   */
  messagesKey?: string;
}

/** A thread's checkpoint tree as read for getTree. */
interface ReadTree {
  head: string | null;
  names: Map<string, string>;
  nodes: CheckpointNode[];
  owner: string | null;
}

/** The namespace conversations live in: the root namespace of their thread. */
const ROOT = "";
const UPDATE_ATTEMPTS = 10;

/**
 * Conversations on top of a {@link RedisSaver}: LangGraph threads with an owner, an agent, a title,
 * a description, tags and custom data; per-user listing by activity; access control; messages.
 *
 * A user sees and changes only their own conversations; for anyone else a conversation is
 * exactly as absent as one that does not exist (`null`, `false` or {@link NotFoundError}).
 *
 * @example
 * ```ts
 * const conversations = new ConversationManager({ saver });
 * const c = await conversations.createConversation({ userId: "u1", metadata: { agentId: "support", title: "Refund", tags: ["billing"] } });
 * await graph.invoke({ messages: [new HumanMessage("hi")] }, { configurable: { thread_id: c.threadId } });
 * const { conversations: page, nextCursor } = await conversations.listConversations({ userId: "u1", tags: ["billing"] });
 * ```
 */
export class ConversationManager {
  readonly saver: RedisSaver;
  readonly messagesKey: string;
  readonly #threads: Threads;
  readonly #indexes: Indexes;

  constructor(options: ConversationManagerOptions) {
    const internals = options !== null && typeof options === "object" ? internalsOf(options.saver) : undefined;
    if (!internals) throw new InvalidInputError("ConversationManager needs a RedisSaver: new ConversationManager({ saver })");
    if (options.messagesKey !== undefined && (typeof options.messagesKey !== "string" || options.messagesKey === "")) {
      throw new InvalidInputError("ConversationManager option `messagesKey` must be a non-empty string");
    }
    this.saver = options.saver;
    this.messagesKey = options.messagesKey ?? "messages";
    this.#threads = internals.threads;
    this.#indexes = internals.indexes;
  }

  /**
   * Creates a conversation for `userId`. With the `threadId` of a thread a graph already ran on,
   * the conversation is attached to that thread and its checkpoints. Throws
   * {@link ConversationExistsError} when the thread already has a conversation.
   */
  async createConversation(input: CreateConversationInput): Promise<Conversation> {
    const { userId, metadata, threadId: given } = parse(CreateConversationInputSchema, input, "createConversation");
    const threadId = given ?? randomUUID();
    const claimed = await this.#threads.claim(threadId, { owner: userId, fresh: false, operation: "createConversation" });
    // A create interrupted between the two halves can be retried: the claim answers "already
    // yours" and the record is written now (a complete create is refused: ConversationExistsError).
    const conversation = await this.#index("createConversation", threadId, userId, newRecord(metadata, null), claimed);
    // A graph may be running on a thread given by id: a status it reported between the claim and
    // the index found no conversation to update. Read the thread's status again (claiming what is
    // already this user's changes nothing) and send it; sequence numbers keep the newer one.
    if (given !== undefined) this.#indexes.statusRefresh(userId, threadId, this.#threads.claim(threadId, { owner: userId, fresh: false, operation: "createConversation" }));
    return conversation;
  }

  /** The conversation, or `null` when it does not exist or is not this user's. One round trip. */
  async getConversation(threadId: string, access: Access): Promise<Conversation | null> {
    const id = parse(ThreadIdSchema, threadId, "getConversation threadId");
    const { userId } = parse(AccessSchema, access, "getConversation");
    const found = await this.#read("getConversation", id, userId);
    return found ? toConversation(userId, found.record, found.listed) : null;
  }

  /**
   * One page of the user's conversations, newest activity first (or oldest, with
   * `order: "asc"`; by creation with `sortBy: "createdAt"`). Filters combine: `tags` keeps
   * conversations that have all of them, `agentId` those of that agent, `status` those with that
   * status, `customData` those whose customData has those top-level values. Page with
   * `nextCursor`, which stays stable while conversations are added, become active or change
   * status, or with `offset`. One round trip, filters and the exact total included, except when
   * the total counts the intersection of filters whose smallest index is large (over 2,000): it is
   * then counted in short steps, and kept for the next pages until those indexes change.
   *
   * @example
   * ```ts
   * // A human-in-the-loop inbox: the user's conversations waiting for an answer, oldest first.
   * const inbox = await conversations.listConversations({ userId, status: "interrupted", order: "asc" });
   * for (const c of inbox.conversations) console.log(c.title, c.interrupts[0]?.value);
   * ```
   */
  async listConversations(input: ListConversationsInput): Promise<ConversationPage> {
    const query = parse(ListConversationsInputSchema, input, "listConversations");
    const listing: ListingKey = {
      userId: query.userId,
      tags: dedupe(query.tags ?? []).sort(),
      agentId: query.agentId ?? null,
      order: query.order,
      sortBy: query.sortBy,
      status: query.status ?? null,
      custom: customIndex(query.customData ?? {}).sort(),
    };
    const after = query.cursor === undefined ? "" : decodeCursor(query.cursor, listing);
    const page = await this.#indexes.page(query.userId, {
      order: query.order,
      sortBy: query.sortBy === "createdAt" ? "created" : "updated",
      after,
      offset: query.offset,
      limit: query.limit,
      agentId: listing.agentId,
      status: listing.status as ConversationStatus | null,
      custom: listing.custom,
      tags: listing.tags,
    });
    return {
      conversations: page.rows.map((row) => toConversation(query.userId, parseRecord(row.record, row.threadId, "listConversations"), row)),
      total: page.total,
      nextCursor: page.more ? encodeCursor(page.continueAfter, listing) : null,
    };
  }

  /**
   * Runs `fn` (a graph invocation) on the conversation while holding its lease, so that two runs
   * never write one thread at once: the conversation is `busy` meanwhile. When another run holds
   * it, `multitask` decides: `"reject"` (the default) throws {@link ConversationBusyError} at once,
   * `"enqueue"` waits until the runs that came before have finished, in order of arrival, and
   * then runs from the state they left; `"interrupt"` also asks the running one to stop at its next
   * checkpoint (it fails with ConversationBusyError, reason `"interrupted"`; its graph must use
   * this manager's saver, whose put replies carry the request), then runs from there. The lease
   * lives in Redis with a TTL (`leaseMs`) that the run renews; a process that dies mid-run frees
   * the conversation when the TTL runs out. A run that loses its lease (its process stalled longer
   * than `leaseMs`) is cancelled through the signal it was given and fails with
   * ConversationBusyError (`reason: "lease-lost"`).
   *
   * `fn` gets the config to pass to the graph: the thread and a signal that cancels the run
   * (`options.signal` cancels it too). A plain `graph.invoke` on the thread does not take the
   * lease: two of them at once each continue from the head they read, and the later checkpoints
   * form side branches (see listBranches).
   *
   * @example
   * ```ts
   * const result = await conversations.run(threadId, { userId, multitask: "enqueue" }, (config) =>
   *   graph.invoke({ messages: [new HumanMessage(text)] }, config),
   * );
   * ```
   */
  async run<T>(threadId: string, options: RunOptions, fn: (config: { configurable: { thread_id: string }; signal: AbortSignal }) => Promise<T>): Promise<T> {
    const id = parse(ThreadIdSchema, threadId, "run threadId");
    const { userId, multitask, leaseMs, pollMs, signal } = parse(RunOptionsSchema, options, "run");
    if (typeof fn !== "function") throw new InvalidInputError("run: the third argument must be a function, (config) => graph.invoke(input, config)");
    signal?.throwIfAborted();
    const token = randomUUID();
    // A waiter that stops asking for this long (its process died) leaves the line.
    const patienceMs = Math.max(5000, 10 * pollMs);
    let lease: { deadline: number; generation: number };
    for (;;) {
      const mode = multitask === "reject" ? "take" : multitask === "enqueue" ? "wait" : "interrupt";
      const got = await this.#threads.takeLease(id, { mode, token, ttlMs: leaseMs, owner: userId, patienceMs });
      if (got.held) {
        lease = got;
        break;
      }
      if (multitask === "reject") throw new ConversationBusyError(id, "busy");
      try {
        await sleep(pollMs, undefined, signal ? { signal } : {});
      } catch (err) {
        await this.#threads.leaveLine(id, token).catch(() => undefined);
        throw signal?.reason ?? err;
      }
    }

    const controller = new AbortController();
    const cancel = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", cancel, { once: true });
    if (signal?.aborted) cancel(); // aborted while the lease was being taken
    let lost = false;
    let stopped = false;
    let finished = false;
    // A newer run with multitask "interrupt" asks this one to stop: the saver learns it from the
    // reply of this run's next put, and the run is cancelled right after that checkpoint.
    const forget = this.#threads.runningHere(id, token, () => {
      stopped = true;
      controller.abort(new ConversationBusyError(id, "interrupted"));
    });
    const renew = async () => {
      const next = await this.#threads.renewLease(id, token, leaseMs).catch(() => undefined);
      if (finished || next === undefined) return; // a failed renewal is tried again at the next tick
      if (next === 0) {
        lost = true;
        controller.abort(new ConversationBusyError(id, "lease-lost"));
        return;
      }
      await this.#indexes.lease(userId, id, { mode: "renew", token, deadline: next }).catch(() => undefined);
    };
    const timer = setInterval(() => void renew(), Math.floor(leaseMs / 3));
    timer.unref?.();
    try {
      await this.#indexes.lease(userId, id, { mode: "take", token, deadline: lease.deadline, generation: lease.generation });
      const result = await fn({ configurable: { thread_id: id }, signal: controller.signal });
      // A run that ignored its signal may have finished after losing the lease: another run may
      // have written the thread meanwhile, so it does not count as a success.
      if (lost) throw new ConversationBusyError(id, "lease-lost");
      return result;
    } catch (err) {
      if (lost) throw new ConversationBusyError(id, "lease-lost");
      if (stopped) throw new ConversationBusyError(id, "interrupted");
      throw err;
    } finally {
      finished = true;
      forget();
      clearInterval(timer);
      signal?.removeEventListener("abort", cancel);
      // The release answers the thread's status, which goes to the owner's index again: an update
      // lost on the way during the run (a failover, a process that died between the two slots)
      // is repaired here. A release that fails leaves the lease to run out on its own.
      await Promise.all([
        this.#threads.releaseLease(id, token).then((status) => this.#indexes.statusRefresh(userId, id, Promise.resolve({ status }))),
        this.#indexes.lease(userId, id, { mode: "drop", token, deadline: 0 }),
      ]).catch((err: unknown) => process.emitWarning(`langgraph-checkpoint-redis-tree: releasing the lease of conversation ${id} failed: ${String(err)}`, { code: "LGTREE_LEASE" }));
    }
  }

  /**
   * Updates some of the conversation's metadata: the fields given replace the stored ones
   * (`customData` as a whole; `null` clears `agentId`, `title` or `description`). Tag and agent
   * indexes follow, and the update counts as activity. Throws {@link NotFoundError} when the
   * conversation does not exist or is not this user's.
   */
  async updateConversation(threadId: string, patch: ConversationPatch, access: Access): Promise<Conversation> {
    const id = parse(ThreadIdSchema, threadId, "updateConversation threadId");
    const changes = parse(ConversationPatchSchema, patch, "updateConversation patch");
    const { userId } = parse(AccessSchema, access, "updateConversation");
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const found = await this.#read("updateConversation", id, userId);
      if (!found) throw new NotFoundError(id);
      const next: StoredConversation = {
        ...found.record,
        ...(changes.agentId !== undefined ? { agentId: changes.agentId } : {}),
        ...(changes.title !== undefined ? { title: changes.title } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.tags !== undefined ? { tags: dedupe(changes.tags) } : {}),
        ...(changes.customData !== undefined ? { customData: changes.customData } : {}),
      };
      let score: string | null;
      try {
        score = await this.#indexes.replace(userId, id, {
          current: found.raw,
          next: JSON.stringify(next),
          oldAgentId: found.record.agentId,
          newAgentId: next.agentId,
          oldTags: found.record.tags,
          newTags: next.tags,
          custom: customIndex(next.customData),
        });
      } catch (err) {
        if (isChangedError(err)) continue; // someone updated it since we read it: merge again
        throw err;
      }
      if (score === null) throw new NotFoundError(id);
      return toConversation(userId, next, { ...found.listed, score });
    }
    throw new RedisTreeError("CONFLICT", `updateConversation: the conversation kept changing; gave up after ${UPDATE_ATTEMPTS} attempts`);
  }

  /**
   * Deletes the conversation: its checkpoints, blobs and writes, and every index entry. Returns
   * `true` if something was deleted, `false` when there was no such conversation for this user.
   */
  async deleteConversation(threadId: string, access: Access): Promise<boolean> {
    const id = parse(ThreadIdSchema, threadId, "deleteConversation threadId");
    const { userId } = parse(AccessSchema, access, "deleteConversation");
    try {
      return await this.#threads.remove(id, { owner: userId });
    } catch (err) {
      if (!isNotFoundError(err)) throw err;
      // The thread is gone (or not this user's): still drop what this user's own indexes hold of it.
      return this.#indexes.remove(userId, id);
    }
  }

  /**
   * Appends a message to the conversation's messages channel as a new checkpoint, as
   * `graph.updateState` would: the next `graph.invoke` on the thread sees it in its state. A
   * message without an id gets one; a message with the id of one already there replaces it.
   */
  async addMessage(threadId: string, message: BaseMessage | MessageInput, access: Access): Promise<{ checkpointId: string; message: BaseMessage }> {
    const id = parse(ThreadIdSchema, threadId, "addMessage threadId");
    const { userId } = parse(AccessSchema, access, "addMessage");
    const msg = isBaseMessage(message) ? message : toMessage(parse(MessageInputSchema, message, "addMessage message"));

    // Read the head, write a child of it, and only if the head has not moved meanwhile (a graph run
    // or another addMessage): else read again. Appends never land on a side branch.
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const state = await this.#threads.readState({ threadId: id, ns: ROOT }, { owner: userId, channels: [this.messagesKey] });
      const current = state?.tuple;
      const base: Checkpoint = current ? copyCheckpoint(current.checkpoint) : emptyCheckpoint();
      // The whole list goes into the new checkpoint, whatever channel kind held it: an ordinary
      // channel reads it as its value, a DeltaChannel as a seed (DeltaChannel.fromCheckpoint).
      const messages = state ? messagesOf(state, this.messagesKey) : [];
      const versions = Object.values(base.channel_versions);
      const version = this.saver.getNextVersion(versions.length > 0 ? (maxChannelVersion(...versions) as number) : undefined);
      const checkpoint: Checkpoint = {
        ...base,
        id: uuid6(-1),
        ts: new Date().toISOString(),
        channel_values: { ...base.channel_values, [this.messagesKey]: appendMessage(messages, msg) },
        channel_versions: { ...base.channel_versions, [this.messagesKey]: version },
      };
      const previousStep = typeof current?.metadata?.step === "number" ? current.metadata.step : -1;
      const metadata = {
        source: "update",
        step: previousStep + 1,
        parents: {},
        writes: { ConversationManager: { [this.messagesKey]: [msg] } },
      } as CheckpointMetadata;
      const parentId = current?.config.configurable?.checkpoint_id as string | undefined;
      try {
        await this.#threads.write({ threadId: id, ns: ROOT, parentId }, checkpoint, metadata, { [this.messagesKey]: version }, { owner: userId, requireHead: true });
        return { checkpointId: checkpoint.id, message: msg };
      } catch (err) {
        if (!isChangedError(err)) throw err;
      }
    }
    throw new RedisTreeError("CONFLICT", `addMessage: the conversation kept changing; gave up after ${UPDATE_ATTEMPTS} attempts`);
  }

  /**
   * The messages of the conversation's current state, or of one of its checkpoints, in order, as
   * LangChain message objects. One round trip.
   */
  async getMessages(threadId: string, input: GetMessagesInput): Promise<BaseMessage[]> {
    const id = parse(ThreadIdSchema, threadId, "getMessages threadId");
    const { userId, checkpointId } = parse(GetMessagesInputSchema, input, "getMessages");
    const state = await this.#threads.readState({ threadId: id, ns: ROOT, checkpointId }, { owner: userId, channels: [this.messagesKey] });
    if (state === undefined) {
      if (checkpointId !== undefined) throw new NotFoundError(id, checkpointId);
      return [];
    }
    return messagesOf(state, this.messagesKey);
  }

  /**
   * Sets how long the conversation is kept after its last activity: `minutes` gives it a TTL of
   * its own, `"pinned"` keeps it until it is deleted, `"default"` returns it to the saver's
   * `ttl.defaultTTL`. Every key of the thread gets the new deadline at once, and an expired
   * conversation leaves its owner's listing. Returns the new deadline (ISO), or `null` when the
   * conversation does not expire.
   *
   * @example
   * ```ts
   * await conversations.setConversationTTL(threadId, "pinned", { userId });
   * await conversations.setConversationTTL(threadId, 60 * 24, { userId }); // a day
   * ```
   */
  async setConversationTTL(threadId: string, ttl: number | "pinned" | "default", access: Access): Promise<string | null> {
    const id = parse(ThreadIdSchema, threadId, "setConversationTTL threadId");
    const value = parse(ConversationTTLSchema, ttl, "setConversationTTL ttl");
    const { userId } = parse(AccessSchema, access, "setConversationTTL");
    // The conversation must exist for this user before anything is written.
    if (!(await this.#read("setConversationTTL", id, userId))) throw new NotFoundError(id);
    const deadline = await this.#threads.setTtl(id, value, { owner: userId });
    if (deadline === null) throw new NotFoundError(id);
    await this.#indexes.deadline(userId, id, deadline, { operation: "setConversationTTL" });
    return deadline > 0 ? new Date(deadline).toISOString() : null;
  }

  /**
   * The branches of the conversation: one entry per tip of its checkpoint tree (root namespace),
   * newest first. Exactly one is active: the one the next `graph.invoke` continues.
   */
  async listBranches(threadId: string, access: Access): Promise<Branch[]> {
    const id = parse(ThreadIdSchema, threadId, "listBranches threadId");
    const { userId } = parse(AccessSchema, access, "listBranches");
    const read = await this.#threads.readBranches(id, ROOT, { owner: userId, channel: this.messagesKey });
    // Tips whose messages are a DeltaChannel are counted by rebuilding them from the walk.
    const rebuilt = this.#rebuild(id, read.walk, read.rows.filter((r) => "rebuilt" in r.messages));
    const branches = read.rows.map((row) => ({
      checkpointId: row.id,
      ...(row.name !== null ? { name: row.name } : {}),
      active: false,
      // The tip's message count as recorded at put, else counted from its stored messages.
      messageCount: "count" in row.messages ? row.messages.count : "stored" in row.messages ? messagesIn(row.messages.stored).length : rebuilt.counts.get(row.id)!,
      updatedAt: row.ts,
      through: row.through,
    }));
    branches.sort((a, b) => compareDesc(a.checkpointId, b.checkpointId));
    // The head's own branch; when the head is inside the tree, the newest branch through it.
    const active = branches.find((b) => b.checkpointId === read.head) ?? branches.find((b) => b.through);
    return branches.map(({ through: _through, ...branch }) => ({ ...branch, active: branch.checkpointId === active?.checkpointId }));
  }

  /**
   * Makes a checkpoint the head: the conversation continues from it. From then on `getTuple`
   * without a checkpoint id returns it, the next `graph.invoke` on the thread starts from it, and
   * each checkpoint written after it moves the head along.
   */
  async switchBranch(threadId: string, checkpointId: string, access: Access): Promise<void> {
    const id = parse(ThreadIdSchema, threadId, "switchBranch threadId");
    const checkpoint = parse(CheckpointIdSchema, checkpointId, "switchBranch checkpointId");
    const { userId } = parse(AccessSchema, access, "switchBranch");
    await this.#threads.setHead({ threadId: id, ns: ROOT, checkpointId: checkpoint }, { owner: userId });
  }

  /**
   * Names the branch that ends at (or passes through) a checkpoint. The name sticks to the
   * checkpoint, so it follows the branch as it grows; `null` removes it.
   */
  async nameBranch(threadId: string, checkpointId: string, name: string | null, access: Access): Promise<void> {
    const id = parse(ThreadIdSchema, threadId, "nameBranch threadId");
    const checkpoint = parse(CheckpointIdSchema, checkpointId, "nameBranch checkpointId");
    const branchName = name === null ? null : parse(BranchNameSchema, name, "nameBranch name");
    const { userId } = parse(AccessSchema, access, "nameBranch");
    await this.#threads.nameBranch({ threadId: id, ns: ROOT, checkpointId: checkpoint }, branchName, { owner: userId });
  }

  /**
   * A new conversation of the same user that starts at a checkpoint of this one (by default its
   * head). Shallow: it copies that checkpoint, the channel values it reads and its pending writes,
   * not the history, so its cost does not depend on how long the source is. The fork carries the
   * source's metadata (the title can be changed) and `forkedFrom`; the source is unchanged, and a
   * graph resumes on the fork as on any thread.
   */
  async forkConversation(threadId: string, input: ForkConversationInput): Promise<Conversation> {
    const id = parse(ThreadIdSchema, threadId, "forkConversation threadId");
    const { userId, checkpointId, title, threadId: given } = parse(ForkConversationInputSchema, input, "forkConversation");
    // The record and the checkpoint are read at once; a missing record answers first.
    const [source, read] = await Promise.all([
      this.#read("forkConversation", id, userId),
      this.#threads.readFork({ threadId: id, ns: ROOT, checkpointId }, { owner: userId }).catch((err: unknown) => ({ failed: err })),
    ]);
    if (!source) throw new NotFoundError(id);
    if ("failed" in read) throw read.failed;
    const forkId = given ?? randomUUID();
    const now = Date.now();
    const planted = await this.#threads.plantFork(read, forkId, ROOT, { owner: userId, nowMs: now });
    const record: StoredConversation = {
      ...source.record,
      ...(title !== undefined ? { title } : {}),
      createdAt: new Date(now).toISOString(),
      forkedFrom: { threadId: id, checkpointId: read.id },
    };
    // The fork's thread index entry (its own slot) and its owner's, side by side.
    const [, conversation] = await Promise.all([this.#indexes.threadPlanted(forkId, now), this.#index("forkConversation", forkId, userId, record, planted)]);
    return conversation;
  }

  /**
   * The conversation as a message tree (see {@link TreeDocument}): every message of every branch,
   * messages shared by branches once, branch names, and `current_node_id` at the last message of
   * the active branch.
   */
  async getTree(threadId: string, access: Access): Promise<TreeDocument> {
    const id = parse(ThreadIdSchema, threadId, "getTree threadId");
    const { userId } = parse(AccessSchema, access, "getTree");
    const [found, read] = await Promise.all([this.#read("getTree", id, userId), this.#readTree(id, userId)]);
    if (!found) throw new NotFoundError(id);
    return this.#treeOf(id, read, toConversation(userId, found.record, found.listed));
  }

  /**
   * The tree of any thread, whoever owns it, and its owner: for operators' tools (the inspector
   * CLI), never for requests made on a user's behalf. `null` when the thread has no checkpoint
   * and no owner.
   * @internal
   */
  async inspectTree(threadId: string): Promise<{ tree: TreeDocument; owner: string | null; conversation: Conversation | null } | null> {
    const id = parse(ThreadIdSchema, threadId, "inspectTree threadId");
    const read = await this.#readTree(id);
    if (read.nodes.length === 0 && read.owner === null) return null;
    const found = read.owner === null ? null : await this.#read("inspectTree", id, read.owner);
    const conversation = found && read.owner !== null ? toConversation(read.owner, found.record, found.listed) : null;
    return { tree: this.#treeOf(id, read, conversation), owner: read.owner, conversation };
  }

  /** The conversation's tree and metadata as plain JSON, for {@link importConversation}. */
  async exportConversation(threadId: string, access: Access): Promise<TreeDocument & { exported_at: string }> {
    const tree = await this.getTree(threadId, access);
    return JSON.parse(JSON.stringify({ ...tree, exported_at: new Date().toISOString() })) as TreeDocument & { exported_at: string };
  }

  /**
   * A new conversation rebuilt from an exported tree, with real checkpoints (one per message, in
   * the tree's shape) so that a graph can resume it: the same messages on every branch, the same
   * branch names, the same active branch. Documents of an older or missing `schema_version` are
   * migrated; a newer major version or a malformed document is refused before anything is written.
   */
  async importConversation(data: unknown, options: ImportConversationOptions): Promise<Conversation> {
    const { userId, threadId: given } = parse(ImportConversationOptionsSchema, options, "importConversation");
    const doc = readTreeDocument(data);
    const metadata = parse(ConversationMetadataSchema, importedMetadata(doc), "importConversation metadata");
    // Every message is converted (and the whole plan made) before anything is written.
    const plan = planImport(doc, this.messagesKey, (v) => this.saver.getNextVersion(v));
    const threadId = given ?? randomUUID();
    const claimed = await this.#threads.claim(threadId, { owner: userId, fresh: true, operation: "importConversation" });

    // A failure part way leaves no half-imported thread behind.
    try {
      for (const step of plan.checkpoints) {
        await this.#threads.write({ threadId, ns: ROOT, parentId: step.parentId }, step.checkpoint, step.metadata, { [this.messagesKey]: step.version }, { owner: userId });
      }
      const acting = { owner: userId, operation: "importConversation" };
      await Promise.all(plan.names.map((n) => this.#threads.nameBranch({ threadId, ns: ROOT, checkpointId: n.checkpointId }, n.name, acting)));
      if (plan.head) await this.#threads.setHead({ threadId, ns: ROOT, checkpointId: plan.head }, acting);
      return await this.#index("importConversation", threadId, userId, newRecord(metadata, null), claimed);
    } catch (err) {
      await this.#threads.remove(threadId, { owner: userId }).catch(() => undefined);
      throw err;
    }
  }

  /** The user-side half of every new conversation: its record and index entries. */
  async #index(operation: string, threadId: string, userId: string, record: StoredConversation, thread: { deadline: number; status: ThreadStatus }): Promise<Conversation> {
    const { deadline, status } = thread;
    const score = await this.#indexes.add(userId, threadId, { operation, record: JSON.stringify(record), agentId: record.agentId, tags: record.tags, custom: customIndex(record.customData), deadline, status });
    return toConversation(userId, record, { threadId, score, status: status.status, interrupts: status.interrupts });
  }

  /** The conversation's record and activity score, read for `operation` (named in its errors). */
  async #read(operation: string, threadId: string, userId: string): Promise<{ record: StoredConversation; raw: Buffer; listed: ListedConversation } | null> {
    const found = await this.#indexes.get(userId, threadId, { operation });
    return found ? { record: parseRecord(found.record, threadId, operation), raw: found.record, listed: found } : null;
  }

  /**
   * The checkpoints of a thread's root namespace as tree input, messages deserialised: one script
   * (and one more per ~4 ms of server time that a DeltaChannel history takes to walk).
   */
  async #readTree(id: string, owner?: string): Promise<ReadTree> {
    const read = await this.#threads.readTree(id, ROOT, { ...(owner !== undefined ? { owner } : {}), channel: this.messagesKey });
    // Tips and the head whose messages are a DeltaChannel: rebuilt from the walk, which also
    // counts the messages of every checkpoint on their paths.
    const rebuilt = this.#rebuild(id, read.walk, read.rows.filter((r) => r.walked));
    const nodes: CheckpointNode[] = read.rows.map((r) => ({
      id: r.id,
      parent: r.parent,
      ts: r.ts,
      count: r.count ?? rebuilt.counts.get(r.id) ?? null,
      messages: r.field !== null ? (read.stored.has(r.field) ? messagesIn(read.stored.get(r.field)) : null) : r.rebuilt ? (rebuilt.messages.get(r.id) ?? null) : [],
    }));
    return { head: read.head, names: read.names, nodes, owner: read.owner };
  }

  /**
   * Messages of checkpoints that rebuild them from their ancestors, from a finished walk, with the
   * message count of every checkpoint on the way. A target the walk did not reach completely is a
   * storage error (the walk ends at a seed or a root; anything else is a gap).
   */
  #rebuild(threadId: string, walk: Parameters<typeof rebuildMessages>[0], targets: ReadonlyArray<{ id: string; parent: string | null }>): ReturnType<typeof rebuildMessages> {
    const result = rebuildMessages(walk, targets, this.messagesKey);
    const gap = targets.find((t) => !result.messages.has(t.id));
    if (gap) throw new StorageError("readMessages", new Error(`the messages of checkpoint ${gap.id} of thread ${JSON.stringify(threadId)} could not be rebuilt: the walk is incomplete`));
    return result;
  }

  #treeOf(id: string, read: ReadTree, conversation: Conversation | null): TreeDocument {
    const now = new Date().toISOString();
    return buildTree({
      conversationId: id,
      checkpoints: read.nodes,
      names: read.names,
      head: read.head,
      metadata: conversation ? treeMetadata(conversation) : {},
      createdAt: conversation?.createdAt ?? read.nodes[0]?.ts ?? now,
      updatedAt: conversation?.updatedAt ?? read.nodes.at(-1)?.ts ?? now,
    });
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const detail = result.error.issues.map((i) => `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`).join("; ");
  throw new InvalidInputError(`${what}: ${detail}`, { issues: result.error.issues, cause: result.error });
}
