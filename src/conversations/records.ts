/**
 * A conversation's stored record (JSON in its owner's slot: the owner is the slot), its schema,
 * and the Conversation an application sees.
 */
import { z } from "zod";
import { StorageError } from "../errors.js";
import type { ConversationMetadata } from "./schemas.js";

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

/** The Conversation of a record; `score` is its activity score (µs of the Redis server's clock). */
export function toConversation(threadId: string, userId: string, record: StoredConversation, score: string): Conversation {
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
  };
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
