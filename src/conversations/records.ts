/**
 * A conversation's stored record (JSON in its owner's slot: the owner is the slot), its schema,
 * and the Conversation an application sees.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "../codec.js";
import { StorageError } from "../errors.js";
import { escapeKeyPart } from "../keys.js";
import type { ConversationStatus, ListedConversation } from "../scripts/scripts.js";
import type { ConversationMetadata } from "./schemas.js";

export type { ConversationStatus } from "../scripts/scripts.js";

/** A pending interrupt of a conversation: what `interrupt(value)` raised in a node, and its id. */
export interface ConversationInterrupt {
  /** The interrupt's id (pass it to `Command({ resume: { [id]: value } })` to resume that one). */
  id: string | null;
  /** The value given to `interrupt()`, as JSON. */
  value: unknown;
}

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
  /**
   * What the conversation is doing: `busy` while a {@link ConversationManager.run} holds it,
   * `interrupted` when a node of its current checkpoint called `interrupt()` and waits for a
   * resume, `error` when a node of its current checkpoint failed, else `idle`. A run that was
   * cancelled leaves it as it was before the run.
   */
  status: ConversationStatus;
  /** The pending interrupts of the current checkpoint (empty unless interrupted, or busy resuming). */
  interrupts: ConversationInterrupt[];
}

/** A field that reads as `fallback` when it is missing or null. */
function withDefault<T extends z.ZodType>(schema: T, fallback: z.output<T>) {
  return z.preprocess((value) => value ?? undefined, schema.default(fallback as never));
}

/**
 * The stored record. A field that is missing (added after the record was written) or null reads
 * as its default, so a record of any earlier version reads.
 */
export const StoredConversationSchema = z.object({
  agentId: withDefault(z.string().nullable(), null),
  title: withDefault(z.string().nullable(), null),
  description: withDefault(z.string().nullable(), null),
  tags: withDefault(z.array(z.string()), []),
  customData: withDefault(z.record(z.string(), z.unknown()), {}),
  createdAt: withDefault(z.string(), new Date(0).toISOString()),
  forkedFrom: withDefault(z.object({ threadId: z.string(), checkpointId: z.string() }).nullable(), null),
});
export type StoredConversation = z.output<typeof StoredConversationSchema>;

/**
 * A record as stored, read back for `operation`. A record that is not JSON or holds a field of
 * the wrong type (written by something else) is a StorageError that names the conversation and
 * the field, never a conversation with made-up values.
 */
export function parseRecord(raw: Buffer | string, threadId: string, operation: string): StoredConversation {
  let json: unknown;
  try {
    json = JSON.parse(raw.toString());
  } catch (err) {
    throw new StorageError(operation, new Error(`the stored record of conversation ${JSON.stringify(threadId)} is not JSON`, { cause: err }));
  }
  const parsed = StoredConversationSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues.map((i) => `${i.path.join(".") || "(record)"}: ${i.message}`).join("; ");
  throw new StorageError(operation, new Error(`the stored record of conversation ${JSON.stringify(threadId)} is malformed: ${detail}`, { cause: parsed.error }));
}

/** The record of a new conversation. */
export function newRecord(metadata: ConversationMetadata, forkedFrom: StoredConversation["forkedFrom"], createdAt = new Date()): StoredConversation {
  return {
    agentId: metadata.agentId ?? null,
    title: metadata.title ?? null,
    description: metadata.description ?? null,
    tags: dedupe(metadata.tags ?? []),
    customData: metadata.customData ?? {},
    createdAt: createdAt.toISOString(),
    forkedFrom,
  };
}

/**
 * The Conversation of a record; `listed.score` is its activity score (µs of the Redis server's
 * clock); a conversation just made is idle.
 */
export function toConversation(userId: string, record: StoredConversation, listed: Pick<ListedConversation, "threadId" | "score"> & Partial<ListedConversation>): Conversation {
  const { threadId, score } = listed;
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
    updatedAt: new Date(Math.floor(Number(score) / 1000)).toISOString(),
    status: listed.status ?? "idle",
    interrupts: listed.interrupts ? parseInterrupts(listed.interrupts, threadId) : [],
  };
}

function parseInterrupts(json: string, threadId: string): ConversationInterrupt[] {
  try {
    const parsed = JSON.parse(json) as unknown;
    if (Array.isArray(parsed)) return parsed.map((i: { id?: unknown; value?: unknown }) => ({ id: typeof i?.id === "string" ? i.id : null, value: i?.value ?? null }));
  } catch {
    // reported below
  }
  throw new StorageError("readConversation", new Error(`the stored interrupts of conversation ${JSON.stringify(threadId)} are malformed`));
}

/**
 * The customData search index of a conversation: one entry per top-level key and value, spelled
 * `<escaped key>:<sha1 of the value's canonical JSON>`, so that equal values (whatever their key
 * order) share an entry and a value of any size makes a short Redis key (top-level keys are at
 * most 256 characters: schemas.ts).
 */
export function customIndex(customData: Record<string, unknown>): string[] {
  return Object.entries(customData).map(([key, value]) => `${escapeKeyPart(key)}:${createHash("sha1").update(canonicalJson(value) ?? "null").digest("hex")}`);
}

/** The tree document's `metadata`: the conversation's own fields, in the format's snake case. */
export function treeMetadata(c: Conversation): Record<string, unknown> {
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

export function dedupe(values: readonly string[]): string[] {
  return [...new Set(values)];
}
