import { createHash, randomUUID } from "node:crypto";
import type { BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { copyCheckpoint, emptyCheckpoint, maxChannelVersion, uuid6, type Checkpoint, type CheckpointMetadata, type CheckpointPendingWrite } from "@langchain/langgraph-checkpoint";
import type { z } from "zod";
import { ConversationExistsError, InvalidInputError, NotFoundError, RedisTreeError, StorageError } from "../errors.js";
import { addFacts, parseWalk, type RawFact, type RawSeed, type RawWrite, type WalkStore } from "../history.js";
import { blobFieldPrefix } from "../keys.js";
import type { RedisSaver } from "../saver.js";
import { ScriptCode } from "../store.js";
import { plantFork, type ForkSource } from "./fork.js";
import { appendMessage, isBaseMessage, messagesIn, toMessage } from "./messages.js";
import { messagesOf, rebuildMessages } from "./state.js";
import { buildTree, fromTreeMessage, isSyntheticRoot, readTreeDocument, type CheckpointNode, type TreeDocument, type TreeMessage, type TreeNode } from "./tree.js";
import {
  AccessSchema,
  ConversationPatchSchema,
  CreateConversationInputSchema,
  GetMessagesInputSchema,
  ListConversationsInputSchema,
  MessageInputSchema,
  ThreadIdSchema,
  BranchNameSchema,
  CheckpointIdSchema,
  ConversationTTLSchema,
  ConversationMetadataSchema,
  ForkConversationInputSchema,
  ImportConversationOptionsSchema,
  type Access,
  type ConversationMetadata,
  type ConversationPatch,
  type ForkConversationInput,
  type ImportConversationOptions,
  type CreateConversationInput,
  type GetMessagesInput,
  type ListConversationsInput,
  type MessageInput,
} from "./schemas.js";

/** A conversation: a LangGraph thread with an owner and metadata. */
export interface Conversation {
  threadId: string;
  /** The owner: the only user who can see or change it. */
  userId: string;
  agentId: string | null;
  title: string | null;
  description: string | null;
  tags: string[];
  customData: Record<string, unknown>;
  /** ISO timestamp. */
  createdAt: string;
  /** ISO timestamp of the last activity: a graph run (checkpoint), a message, an update. */
  updatedAt: string;
  /** Where a fork started: the source conversation and checkpoint; `null` for others. */
  forkedFrom: { threadId: string; checkpointId: string } | null;
}

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

/** The stored record of a conversation (JSON in its owner's slot); the owner is the slot. */
interface StoredConversation {
  agentId: string | null;
  title: string | null;
  description: string | null;
  tags: string[];
  customData: Record<string, unknown>;
  createdAt: string;
  forkedFrom: { threadId: string; checkpointId: string } | null;
}

const CURSOR_VERSION = 1;
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

  constructor(options: ConversationManagerOptions) {
    if (options === null || typeof options !== "object" || !options.saver || typeof options.saver.readTuple !== "function") {
      throw new InvalidInputError("ConversationManager needs a RedisSaver: new ConversationManager({ saver })");
    }
    if (options.messagesKey !== undefined && (typeof options.messagesKey !== "string" || options.messagesKey === "")) {
      throw new InvalidInputError("ConversationManager option `messagesKey` must be a non-empty string");
    }
    this.saver = options.saver;
    this.messagesKey = options.messagesKey ?? "messages";
  }

  /**
   * Creates a conversation for `userId`. With the `threadId` of a thread a graph already ran on,
   * the conversation is attached to that thread and its checkpoints. Throws
   * {@link ConversationExistsError} when the thread already has a conversation.
   */
  async createConversation(input: CreateConversationInput): Promise<Conversation> {
    const { userId, metadata, threadId: given } = parse(CreateConversationInputSchema, input, "createConversation");
    const threadId = given ?? randomUUID();
    const claimed = (await this.store.script("createConversation", "claimThread", [this.keys.threadBase(threadId)], [userId, String(Date.now()), "", this.ttl])) as
      | [number, number]
      | number;
    if (!Array.isArray(claimed)) throw new ConversationExistsError(threadId);

    // A create interrupted between the two halves can be retried: claimThread answers "already
    // yours" and the record is written now (a complete create is refused: ConversationExistsError).
    return this.index("createConversation", threadId, userId, newRecord(metadata, null), claimed[1]);
  }

  /** The conversation, or `null` when it does not exist or is not this user's. One round trip. */
  async getConversation(threadId: string, access: Access): Promise<Conversation | null> {
    const id = parse(ThreadIdSchema, threadId, "getConversation threadId");
    const { userId } = parse(AccessSchema, access, "getConversation");
    const found = await this.read(id, userId, "getConversation");
    return found ? toConversation(id, userId, found.record, found.score) : null;
  }

  /**
   * One page of the user's conversations, newest activity first (or oldest, with
   * `order: "asc"`). `tags` keeps conversations that have all of them. Page with `nextCursor`,
   * which stays stable while conversations are added or become active, or with `offset`.
   * One round trip, tag and agent filters included.
   */
  async listConversations(input: ListConversationsInput): Promise<ConversationPage> {
    const query = parse(ListConversationsInputSchema, input, "listConversations");
    const tags = dedupe(query.tags ?? []).sort();
    const fingerprint = createHash("sha1")
      .update(JSON.stringify([query.userId, tags, query.agentId ?? null, query.order]))
      .digest("base64url")
      .slice(0, 12);
    const after = query.cursor === undefined ? "" : decodeCursor(query.cursor, fingerprint);

    const reply = (await this.store.script("listConversations", "listConversations", [this.keys.userBase(query.userId)], [
      query.order,
      after,
      String(query.offset),
      String(query.limit),
      query.agentId ?? "",
      ...tags,
    ])) as [number, number, Buffer, ...Buffer[]];
    const [total, more, continueAfter, ...flat] = reply;
    const conversations: Conversation[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      conversations.push(toConversation(text(flat[i]), query.userId, parseRecord(flat[i + 1]), text(flat[i + 2])));
    }
    return { conversations, total, nextCursor: more === 1 ? encodeCursor(text(continueAfter), fingerprint) : null };
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
      const found = await this.read(id, userId, "updateConversation");
      if (!found) throw new NotFoundError(id);
      const next: StoredConversation = {
        ...found.record,
        ...(changes.agentId !== undefined ? { agentId: changes.agentId } : {}),
        ...(changes.title !== undefined ? { title: changes.title } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.tags !== undefined ? { tags: dedupe(changes.tags) } : {}),
        ...(changes.customData !== undefined ? { customData: changes.customData } : {}),
      };
      const score = await this.store.script("updateConversation", "updateConversation", [this.keys.userBase(userId)], [
        id,
        found.raw,
        JSON.stringify(next),
        found.record.agentId ?? "",
        next.agentId ?? "",
        String(found.record.tags.length),
        ...found.record.tags,
        ...next.tags,
      ]);
      if (score === ScriptCode.Changed) continue; // someone updated it since we read it: merge again
      if (score === null) throw new NotFoundError(id);
      return toConversation(id, userId, next, text(score as Buffer));
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
    const removed = await this.saver.removeThread(id, userId);
    if (removed !== "not-owner") return removed;
    // The thread is gone (or not this user's): still drop what this user's own indexes hold of it.
    const unindexed = await this.store.script("deleteConversation", "unindexConversation", [this.keys.userBase(userId)], [id]);
    return unindexed === 1;
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

    const threadConfig: RunnableConfig = { configurable: { thread_id: id, checkpoint_ns: "" } };
    // Read the head, write a child of it, and only if the head has not moved meanwhile (a graph run
    // or another addMessage): else read again. Appends never land on a side branch.
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const state = await this.saver.readState(threadConfig, { owner: userId, channels: [this.messagesKey] });
      if (state === "not-owner") throw new NotFoundError(id);
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
      const parentConfig: RunnableConfig = current ? current.config : threadConfig;
      const written = await this.saver.writeCheckpoint(parentConfig, checkpoint, metadata, { [this.messagesKey]: version }, userId, { requireHead: true });
      if (written === "not-owner") throw new NotFoundError(id);
      if (written !== "changed") return { checkpointId: checkpoint.id, message: msg };
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
    const config: RunnableConfig = { configurable: { thread_id: id, checkpoint_ns: "", ...(checkpointId ? { checkpoint_id: checkpointId } : {}) } };
    const state = await this.saver.readState(config, { owner: userId, channels: [this.messagesKey] });
    if (state === "not-owner") throw new NotFoundError(id);
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
    const own = value === "pinned" ? "0" : value === "default" ? "" : String(Math.max(1, Math.round(value * 60_000)));
    // The conversation must exist for this user before anything is written.
    if (!(await this.read(id, userId, "setConversationTTL"))) throw new NotFoundError(id);
    const deadline = (await this.store.script("setConversationTTL", "setTtl", [this.keys.threadBase(id)], [own, this.ttl, userId])) as number | null;
    if (deadline === ScriptCode.NotOwner || deadline === null) throw new NotFoundError(id);
    await this.store.script("setConversationTTL", "touchConversation", [this.keys.userBase(userId)], [id, String(deadline), "0"]);
    return deadline > 0 ? new Date(deadline).toISOString() : null;
  }

  /**
   * The branches of the conversation: one entry per tip of its checkpoint tree (root namespace),
   * newest first. Exactly one is active: the one the next `graph.invoke` continues.
   */
  async listBranches(threadId: string, access: Access): Promise<Branch[]> {
    const id = parse(ThreadIdSchema, threadId, "listBranches threadId");
    const { userId } = parse(AccessSchema, access, "listBranches");
    const key = this.messagesKey;
    const read = await this.saver.walkRetrying("listBranches", async () => {
      const reply = (await this.store.script("listBranches", "readBranches", [this.keys.threadBase(id)], ["", userId, blobFieldPrefix(key), key, ...this.saver.walkBudget()])) as Reply[] | number;
      if (!Array.isArray(reply)) return "not-owner";
      const [head, rows, facts, frontier, validator] = reply;
      const walked = await this.finishWalk(id, userId, [key], facts, frontier, validator);
      return walked === "not-owner" ? walked : { head: head ? text(head as Buffer) : null, rows: rows as Reply[], facts: walked };
    });
    if (read === "not-owner") throw new NotFoundError(id);
    const rows: Array<{ id: string; name: Buffer | null; ts: string; count: number | Buffer; through: boolean; parent: string | null }> = [];
    for (let i = 0; i + 5 < read.rows.length; i += 6) {
      const r = read.rows;
      rows.push({ id: text(r[i] as Buffer), name: r[i + 1] as Buffer | null, ts: text(r[i + 2] as Buffer), count: r[i + 3] as number | Buffer, through: r[i + 4] === 1, parent: r[i + 5] ? text(r[i + 5] as Buffer) : null });
    }
    // Tips whose messages are a DeltaChannel are counted by rebuilding them from the walk.
    const rebuilt = await this.rebuild(id, read.facts, rows.filter((r) => r.count === -1));
    const head = read.head;
    const branches: Array<Branch & { through: boolean }> = [];
    for (const row of rows) {
      // The tip's message count as recorded at put (a blob: not recorded, read the messages).
      let count = row.count;
      if (Buffer.isBuffer(count)) count = messagesIn(await this.saver.load(count, `channel "${key}"`)).length;
      if (count === -1) count = rebuilt.counts.get(row.id)!;
      branches.push({
        checkpointId: row.id,
        ...(row.name ? { name: text(row.name) } : {}),
        active: false,
        messageCount: count,
        updatedAt: row.ts,
        through: row.through,
      });
    }
    branches.sort((a, b) => compareDesc(a.checkpointId, b.checkpointId));
    // The head's own branch; when the head is inside the tree, the newest branch through it.
    const active = branches.find((b) => b.checkpointId === head) ?? branches.find((b) => b.through);
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
    const reply = await this.store.script("switchBranch", "setHead", [this.keys.threadBase(id)], ["", checkpoint, userId, this.ttl]);
    if (reply === ScriptCode.NotOwner) throw new NotFoundError(id);
    if (reply === null) throw new NotFoundError(id, checkpoint);
  }

  /**
   * Names the branch that ends at (or passes through) a checkpoint. The name sticks to the
   * checkpoint, so it follows the branch as it grows; `null` removes it.
   */
  async nameBranch(threadId: string, checkpointId: string, name: string | null, access: Access): Promise<void> {
    const id = parse(ThreadIdSchema, threadId, "nameBranch threadId");
    const checkpoint = parse(CheckpointIdSchema, checkpointId, "nameBranch checkpointId");
    const branchName = name === null ? "" : parse(BranchNameSchema, name, "nameBranch name");
    const { userId } = parse(AccessSchema, access, "nameBranch");
    const reply = await this.store.script("nameBranch", "nameBranch", [this.keys.threadBase(id)], ["", checkpoint, branchName, userId, this.ttl]);
    if (reply === ScriptCode.NotOwner) throw new NotFoundError(id);
    if (reply === null) throw new NotFoundError(id, checkpoint);
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
    const readSource = () =>
      this.saver.walkRetrying("forkConversation", async () => {
        const reply = (await this.store.script("forkConversation", "forkRead", [this.keys.threadBase(id)], ["", checkpointId ?? "", userId, ...this.saver.walkBudget()])) as Reply[] | number | null;
        if (!Array.isArray(reply)) return reply;
        const [sourceId, node, blobs, writes, parent, channelsRaw, facts, frontier, validator] = reply;
        const channels = (channelsRaw as Buffer[]).map((c) => text(c));
        const walked = await this.finishWalk(id, userId, channels, facts, frontier, validator);
        if (walked === "not-owner") return ScriptCode.NotOwner;
        const store: WalkStore<RawWrite, RawSeed> = new Map();
        addFacts(store, walked, channels);
        return { id: text(sourceId as Buffer), node: node as Buffer[], blobs: blobs as Buffer[], writes: writes as Buffer[], parent: parent ? text(parent as Buffer) : null, channels, store } satisfies ForkSource;
      });
    const [source, read] = await Promise.all([this.read(id, userId, "forkConversation"), readSource()]);
    if (!source || read === ScriptCode.NotOwner) throw new NotFoundError(id);
    if (read === null || typeof read === "number") throw new NotFoundError(id, checkpointId ?? "(head)");
    const planted = await plantFork(read, {
      record: ({ id: carrierId, ts, versions, values }) =>
        this.saver.packRecord({ v: 4, id: carrierId, ts, channel_versions: versions, versions_seen: {} }, { source: "fork", step: -2, parents: {} }, values),
      unversioned: (packed, channel) => this.saver.recordValue(packed, channel),
    });

    const forkId = given ?? randomUUID();
    const now = Date.now();
    const deadline = await this.store.script("forkConversation", "forkPlant", [this.keys.threadBase(forkId)], [
      "",
      userId,
      String(now),
      this.ttl,
      String(planted.length),
      ...planted.flatMap((c) => [c.id, String(c.node.length / 2), ...c.node, String(c.blobs.length / 2), ...c.blobs, String(c.writes.length / 2), ...c.writes]),
    ]);
    if (deadline === ScriptCode.Exists) throw new ConversationExistsError(forkId);
    const record: StoredConversation = {
      ...source.record,
      ...(title !== undefined ? { title } : {}),
      createdAt: new Date(now).toISOString(),
      forkedFrom: { threadId: id, checkpointId: read.id },
    };
    const [, conversation] = await Promise.all([this.client.zadd(this.keys.threadsIndex(), now, forkId), this.index("forkConversation", forkId, userId, record, deadline as number)]);
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
    const [found, read] = await Promise.all([this.read(id, userId, "getTree"), this.readTree(id, userId)]);
    if (!found || read === "not-owner") throw new NotFoundError(id);
    return this.treeOf(id, read, toConversation(id, userId, found.record, found.score));
  }

  /**
   * The tree of any thread, whoever owns it, and its owner: for operators' tools (the inspector
   * CLI), never for requests made on a user's behalf. `null` when the thread has no checkpoint
   * and no owner.
   * @internal
   */
  async inspectTree(threadId: string): Promise<{ tree: TreeDocument; owner: string | null; conversation: Conversation | null } | null> {
    const id = parse(ThreadIdSchema, threadId, "inspectTree threadId");
    const read = await this.readTree(id, "");
    if (read === "not-owner" || (read.nodes.length === 0 && read.owner === null)) return null;
    const found = read.owner === null ? null : await this.read(id, read.owner, "inspectTree");
    const conversation = found && read.owner !== null ? toConversation(id, read.owner, found.record, found.score) : null;
    return { tree: this.treeOf(id, read, conversation), owner: read.owner, conversation };
  }

  /**
   * The checkpoints of a thread's root namespace as tree input, messages deserialised: one script
   * (and one more per ~4 ms of server time that a DeltaChannel history takes to walk).
   */
  private async readTree(id: string, owner: string): Promise<ReadTree | "not-owner"> {
    const key = this.messagesKey;
    const read = await this.saver.walkRetrying("getTree", async () => {
      const reply = (await this.store.script("getTree", "readTree", [this.keys.threadBase(id)], ["", owner, blobFieldPrefix(key), key, ...this.saver.walkBudget()])) as Reply[] | number;
      if (!Array.isArray(reply)) return "not-owner";
      const [head, names, nodes, blobs, ownerRaw, facts, frontier, validator] = reply;
      const walked = await this.finishWalk(id, owner, [key], facts, frontier, validator);
      return walked === "not-owner" ? walked : { head, names: names as Buffer[], nodes: nodes as Reply[], blobs: blobs as Buffer[], owner: ownerRaw, facts: walked };
    });
    if (read === "not-owner") return "not-owner";
    const stored = new Map<string, BaseMessage[]>();
    await Promise.all(
      pairs(read.blobs).map(async ([field, value]) => {
        stored.set(text(field), messagesIn(await this.saver.load(value, `channel "${key}"`)));
      }),
    );
    const rows: Array<{ id: string; parent: string | null; ts: string; field: Buffer | null; count: number; rebuilt: boolean; walked: boolean }> = [];
    for (let i = 0; i + 5 < read.nodes.length; i += 6) {
      const r = read.nodes;
      const how = r[i + 5] as number;
      rows.push({ id: text(r[i] as Buffer), parent: r[i + 1] ? text(r[i + 1] as Buffer) : null, ts: text(r[i + 2] as Buffer), field: r[i + 3] as Buffer | null, count: r[i + 4] as number, rebuilt: how > 0, walked: how === 2 });
    }
    const head = read.head ? text(read.head as Buffer) : null;
    // Tips and the head whose messages are a DeltaChannel: rebuilt from the walk, which also
    // counts the messages of every checkpoint on their paths.
    const rebuilt = await this.rebuild(id, read.facts, rows.filter((r) => r.walked));
    const nodes: CheckpointNode[] = rows.map((r) => ({
      id: r.id,
      parent: r.parent,
      ts: r.ts,
      count: r.count >= 0 ? r.count : (rebuilt.counts.get(r.id) ?? -1),
      messages: r.field ? (stored.get(text(r.field)) ?? null) : r.rebuilt ? (rebuilt.messages.get(r.id) ?? null) : [],
    }));
    return {
      head,
      names: new Map(pairs(read.names).map(([k, v]) => [text(k), text(v)])),
      nodes,
      owner: read.owner ? text(read.owner as Buffer) : null,
    };
  }

  /** The whole walk a reading script started (its facts, frontier and validator), in the root namespace. */
  private finishWalk(id: string, owner: string, channels: string[], facts: Reply | undefined, frontier: Reply | undefined, validator: Reply | undefined): Promise<RawFact[] | "not-owner"> {
    return this.saver.finishWalk(id, "", { owner, channels }, [], { validator: text(validator as Buffer), ...parseWalk(channels, facts!, frontier!) });
  }

  /**
   * Messages of checkpoints that rebuild them from their ancestors, from a finished walk, with the
   * message count of every checkpoint on the way. A target the walk did not reach completely is a
   * storage error (the walk ends at a seed or a root; anything else is a gap).
   */
  private async rebuild(threadId: string, facts: RawFact[], targets: ReadonlyArray<{ id: string; parent: string | null }>): Promise<ReturnType<typeof rebuildMessages>> {
    if (targets.length === 0) return { messages: new Map(), counts: new Map() };
    const raw: WalkStore<RawWrite, RawSeed> = new Map();
    addFacts(raw, facts, [this.messagesKey]);
    const decoded: WalkStore<CheckpointPendingWrite, unknown> = new Map();
    await this.saver.decodeWalk(raw, decoded);
    const result = rebuildMessages(decoded, targets, this.messagesKey);
    const gap = targets.find((t) => !result.messages.has(t.id));
    if (gap) throw new StorageError("readMessages", new Error(`the messages of checkpoint ${gap.id} of thread ${JSON.stringify(threadId)} could not be rebuilt: the walk is incomplete`));
    return result;
  }

  private treeOf(id: string, read: ReadTree, conversation: Conversation | null): TreeDocument {
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
    const meta = doc.metadata;
    const metadata = parse(
      ConversationMetadataSchema,
      dropUndefined({
        agentId: meta.agent_id ?? undefined,
        title: meta.title ?? undefined,
        description: meta.description ?? undefined,
        tags: meta.tags ?? undefined,
        customData: meta.custom_data ?? undefined,
      }),
      "importConversation metadata",
    );
    // Every message is converted before anything is written.
    const byId = new Map(doc.nodes.map((n) => [n.node_id, { node: n, message: isSyntheticRoot(n as TreeNode) ? null : fromTreeMessage(n.message as TreeMessage) }]));
    const children = new Map<string, string[]>();
    for (const [parent, child] of doc.edges) children.set(parent, [...(children.get(parent) ?? []), child]);
    for (const list of children.values()) list.sort(compareNodeIds);

    const threadId = given ?? randomUUID();
    const claimed = (await this.store.script("importConversation", "claimThread", [this.keys.threadBase(threadId)], [userId, String(Date.now()), "fresh", this.ttl])) as
      | [number, number]
      | number;
    if (!Array.isArray(claimed)) throw new ConversationExistsError(threadId);

    // A failure part way leaves no half-imported thread behind.
    try {
      const checkpointOf = new Map<string, string>();
      const leaves: Array<{ checkpointId: string; name: string | null }> = [];
      // Depth first, children in position order; a checkpoint per message.
      const stack: Array<{ nodeId: string; parent: { config: RunnableConfig; messages: BaseMessage[]; version: number | undefined; name: string | null } }> = [];
      const rootConfig: RunnableConfig = { configurable: { thread_id: threadId, checkpoint_ns: "" } };
      if (byId.has("")) stack.push({ nodeId: "", parent: { config: rootConfig, messages: [], version: undefined, name: null } });
      while (stack.length > 0) {
        const { nodeId, parent } = stack.pop()!;
        const { node, message } = byId.get(nodeId)!;
        const name = node.branch_name ?? parent.name;
        let here = parent;
        if (message) {
          const version = this.saver.getNextVersion(parent.version);
          const messages = [...parent.messages, message];
          const checkpoint: Checkpoint = {
            ...emptyCheckpoint(),
            id: uuid6(-1),
            ts: new Date(node.timestamp).toISOString(),
            channel_values: { [this.messagesKey]: messages },
            channel_versions: { [this.messagesKey]: version },
          };
          const metadata = { source: "update", step: messages.length - 1, parents: {}, import: { node_id: nodeId } } as CheckpointMetadata;
          const written = await this.saver.writeCheckpoint(parent.config, checkpoint, metadata, { [this.messagesKey]: version }, userId);
          if (typeof written === "string") throw new NotFoundError(threadId);
          checkpointOf.set(nodeId, checkpoint.id);
          here = { config: written, messages, version, name };
        }
        const kids = children.get(nodeId) ?? [];
        if (kids.length === 0 && message) leaves.push({ checkpointId: checkpointOf.get(nodeId)!, name });
        for (const kid of [...kids].reverse()) stack.push({ nodeId: kid, parent: { ...here, name } });
      }
      const base = [this.keys.threadBase(threadId)];
      await Promise.all(
        leaves.filter((l) => l.name !== null).map((l) => this.store.script("importConversation", "nameBranch", base, ["", l.checkpointId, l.name!, userId, this.ttl])),
      );
      const current = checkpointOf.get(doc.current_node_id);
      if (current) await this.store.script("importConversation", "setHead", base, ["", current, userId, this.ttl]);
      return await this.index("importConversation", threadId, userId, newRecord(metadata, null), claimed[1]);
    } catch (err) {
      await this.saver.removeThread(threadId, userId).catch(() => undefined);
      throw err;
    }
  }

  /** The user-side half of every new conversation: its record and index entries. */
  private async index(operation: string, threadId: string, userId: string, record: StoredConversation, deadline: number): Promise<Conversation> {
    const score = (await this.store.script(operation, "indexConversation", [this.keys.userBase(userId)], [
      threadId,
      JSON.stringify(record),
      record.agentId ?? "",
      String(deadline),
      ...record.tags,
    ])) as Buffer | number;
    if (score === ScriptCode.Exists) throw new ConversationExistsError(threadId);
    return toConversation(threadId, userId, record, text(score as Buffer));
  }

  private get store() {
    return this.saver.store;
  }

  private get keys() {
    return this.saver.keys;
  }

  private get client() {
    return this.saver.client;
  }

  /** The saver's default TTL in ms, as scripts take it. */
  private get ttl(): string {
    return String(this.saver.ttlMs);
  }

  private async read(threadId: string, userId: string, operation: string): Promise<{ record: StoredConversation; raw: Buffer; score: string } | null> {
    const reply = (await this.store.script(operation, "getConversation", [this.keys.userBase(userId)], [threadId])) as [Buffer, Buffer] | null;
    if (!reply) return null;
    return { record: parseRecord(reply[0]), raw: reply[0], score: text(reply[1]) };
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const detail = result.error.issues.map((i) => `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`).join("; ");
  throw new InvalidInputError(`${what}: ${detail}`, { issues: result.error.issues, cause: result.error });
}

function newRecord(metadata: ConversationMetadata, forkedFrom: StoredConversation["forkedFrom"]): StoredConversation {
  return {
    agentId: metadata.agentId ?? null,
    title: metadata.title ?? null,
    description: metadata.description ?? null,
    tags: dedupe(metadata.tags ?? []),
    customData: metadata.customData ?? {},
    createdAt: new Date().toISOString(),
    forkedFrom,
  };
}

function toConversation(threadId: string, userId: string, record: StoredConversation, score: string): Conversation {
  return {
    threadId,
    userId,
    agentId: record.agentId,
    title: record.title,
    description: record.description,
    tags: [...record.tags],
    customData: record.customData,
    createdAt: record.createdAt,
    forkedFrom: record.forkedFrom,
    // Activity scores are microseconds of the Redis server's clock.
    updatedAt: new Date(Math.floor(Number(score) / 1000)).toISOString(),
  };
}

function parseRecord(raw: Buffer | undefined): StoredConversation {
  const parsed = JSON.parse(text(raw)) as Partial<StoredConversation>;
  return {
    agentId: parsed.agentId ?? null,
    title: parsed.title ?? null,
    description: parsed.description ?? null,
    tags: parsed.tags ?? [],
    customData: parsed.customData ?? {},
    createdAt: parsed.createdAt ?? new Date(0).toISOString(),
    forkedFrom: parsed.forkedFrom ?? null,
  };
}

function encodeCursor(score: string, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, s: score, f: fingerprint })).toString("base64url");
}

function decodeCursor(cursor: string, fingerprint: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = undefined;
  }
  const c = decoded as { v?: unknown; s?: unknown; f?: unknown } | undefined;
  if (!c || c.v !== CURSOR_VERSION || typeof c.s !== "string" || !/^\d+$/.test(c.s) || c.f !== fingerprint) {
    throw new InvalidInputError("listConversations: unknown cursor (pass the nextCursor of a page listed with the same userId, tags, agentId and order)", {
      issues: [{ code: "custom", path: ["cursor"], message: "unknown cursor" }],
    });
  }
  return c.s;
}

/** The tree document's `metadata`: the conversation's own fields, in the format's snake case. */
function treeMetadata(c: Conversation): Record<string, unknown> {
  return {
    user_id: c.userId,
    agent_id: c.agentId,
    title: c.title,
    description: c.description,
    tags: c.tags,
    custom_data: c.customData,
    forked_from: c.forkedFrom ? { thread_id: c.forkedFrom.threadId, checkpoint_id: c.forkedFrom.checkpointId } : null,
  };
}

/** Orders sibling node ids ("0.2" before "0.10") by their last position. */
function compareNodeIds(a: string, b: string): number {
  const last = (id: string) => Number(id.slice(id.lastIndexOf(".") + 1));
  return last(a) - last(b);
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function pairs<T>(flat: T[]): Array<[T, T]> {
  const out: Array<[T, T]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

function compareDesc(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}

type Reply = Buffer | number | null | Reply[];

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}

function text(value: Buffer | string | undefined | null): string {
  return value == null ? "" : value.toString();
}
