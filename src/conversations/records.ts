/**
 * A conversation's stored record (JSON in its owner's slot: the owner is the slot), its schema,
 * and the Conversation an application sees.
 */
import { z } from "zod";
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

/**
 * The stored record. Fields added after a record was written read as their defaults, so a record
 * of any earlier version reads.
 */
export const StoredConversationSchema = z.object({
  agentId: z.string().nullable().default(null),
  title: z.string().nullable().default(null),
  description: z.string().nullable().default(null),
  tags: z.array(z.string()).default([]),
  customData: z.record(z.string(), z.unknown()).default({}),
  createdAt: z.string().default(new Date(0).toISOString()),
  forkedFrom: z.object({ threadId: z.string(), checkpointId: z.string() }).nullable().default(null),
});
export type StoredConversation = z.infer<typeof StoredConversationSchema>;

/** A record as stored, read back. */
export function parseRecord(raw: Buffer | string): StoredConversation {
  return StoredConversationSchema.parse(JSON.parse(raw.toString()));
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
