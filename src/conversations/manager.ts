import { createHash, randomUUID } from "node:crypto";
import type { BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { copyCheckpoint, emptyCheckpoint, maxChannelVersion, uuid6, type Checkpoint, type CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import type { z } from "zod";
import { ConversationExistsError, InvalidInputError, NotFoundError } from "../errors.js";
import type { RedisSaver } from "../saver.js";
import { ScriptCode } from "../store.js";
import { appendMessage, isBaseMessage, toMessage } from "./messages.js";
import {
  AccessSchema,
  ConversationPatchSchema,
  CreateConversationInputSchema,
  GetMessagesInputSchema,
  ListConversationsInputSchema,
  MessageInputSchema,
  ThreadIdSchema,
  type Access,
  type ConversationPatch,
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

/** The stored record of a conversation (JSON in its owner's slot); the owner is the slot. */
interface StoredConversation {
  agentId: string | null;
  title: string | null;
  description: string | null;
  tags: string[];
  customData: Record<string, unknown>;
  createdAt: string;
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
    const claimed = await this.store.script("createConversation", "claimThread", [this.keys.threadBase(threadId)], [userId, String(Date.now())]);
    if (claimed === ScriptCode.NotOwner) throw new ConversationExistsError(threadId);

    const record: StoredConversation = {
      agentId: metadata.agentId ?? null,
      title: metadata.title ?? null,
      description: metadata.description ?? null,
      tags: dedupe(metadata.tags ?? []),
      customData: metadata.customData ?? {},
      createdAt: new Date().toISOString(),
    };
    // A retried create (claimThread answered "already yours") finds the record and stops here.
    const score = (await this.store.script("createConversation", "indexConversation", [this.keys.userBase(userId)], [
      threadId,
      JSON.stringify(record),
      record.agentId ?? "",
      ...record.tags,
    ])) as Buffer | number;
    if (typeof score === "number") throw new ConversationExistsError(threadId); // ScriptCode.Exists
    return toConversation(threadId, userId, record, text(score));
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
      String(query.limit + 1),
      query.agentId ?? "",
      ...tags,
    ])) as [number, ...Buffer[]];
    const [total, ...flat] = reply;
    const conversations: Conversation[] = [];
    let lastScore = "";
    for (let i = 0; i + 2 < flat.length && conversations.length < query.limit; i += 3) {
      lastScore = text(flat[i + 2]);
      conversations.push(toConversation(text(flat[i]), query.userId, parseRecord(flat[i + 1]), lastScore));
    }
    // The script returns one conversation more than the page when there is a next page.
    const more = flat.length / 3 > query.limit;
    return { conversations, total, nextCursor: more ? encodeCursor(lastScore, fingerprint) : null };
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
    throw new InvalidInputError(`updateConversation: the conversation kept changing; gave up after ${UPDATE_ATTEMPTS} attempts`);
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
    const current = await this.saver.readTuple(threadConfig, userId);
    if (current === "not-owner") throw new NotFoundError(id);

    const base: Checkpoint = current ? copyCheckpoint(current.checkpoint) : emptyCheckpoint();
    const messages = asMessages(base.channel_values[this.messagesKey]);
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
    const written = await this.saver.writeCheckpoint(parentConfig, checkpoint, metadata, { [this.messagesKey]: version }, userId);
    if (written === "not-owner") throw new NotFoundError(id);
    return { checkpointId: checkpoint.id, message: msg };
  }

  /**
   * The messages of the conversation's current state, or of one of its checkpoints, in order, as
   * LangChain message objects. One round trip.
   */
  async getMessages(threadId: string, input: GetMessagesInput): Promise<BaseMessage[]> {
    const id = parse(ThreadIdSchema, threadId, "getMessages threadId");
    const { userId, checkpointId } = parse(GetMessagesInputSchema, input, "getMessages");
    const config: RunnableConfig = { configurable: { thread_id: id, checkpoint_ns: "", ...(checkpointId ? { checkpoint_id: checkpointId } : {}) } };
    const tuple = await this.saver.readTuple(config, userId);
    if (tuple === "not-owner") throw new NotFoundError(id);
    if (tuple === undefined) {
      if (checkpointId !== undefined) throw new NotFoundError(id, checkpointId);
      return [];
    }
    return asMessages(tuple.checkpoint.channel_values[this.messagesKey]);
  }

  private get store() {
    return this.saver.store;
  }

  private get keys() {
    return this.saver.keys;
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

function asMessages(value: unknown): BaseMessage[] {
  return Array.isArray(value) ? (value as BaseMessage[]) : [];
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}

function text(value: Buffer | string | undefined | null): string {
  return value == null ? "" : value.toString();
}
