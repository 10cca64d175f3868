/**
 * zod schemas for every input of {@link ConversationManager}, with the inferred types. Inputs are
 * checked where they enter; a refused input gets an InvalidInputError carrying the zod issues, and
 * nothing is written.
 */
import { z } from "zod";
import { namesOf } from "../codec.js";
import { MESSAGE_ROLES } from "./messages.js";

const wellFormed = (s: string) => s.isWellFormed();

/** A user id: any non-empty string (it is escaped into keys, never used as a pattern). */
export const UserIdSchema = z.string().min(1, "userId must not be empty").max(1024).refine(wellFormed, "userId must be well-formed unicode");

/** A thread id: any non-empty string. */
export const ThreadIdSchema = z.string().min(1, "threadId must not be empty").refine(wellFormed, "threadId must be well-formed unicode");

const TagSchema = z.string().min(1, "a tag must not be empty").max(256).refine(wellFormed, "a tag must be well-formed unicode");

/** JSON values only: what survives being stored and read back unchanged. */
const JsonValueSchema: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number().refine(Number.isFinite, "numbers must be finite"), z.boolean(), z.null(), z.array(JsonValueSchema), z.record(z.string(), JsonValueSchema)]),
);

/** Top-level customData keys a conversation may have (each is an index entry). */
const MAX_CUSTOM_KEYS = 100;
/** A top-level customData key: part of an index key's name, so at most 256 characters. */
const CustomKeySchema = z.string().max(256, "a top-level customData key has at most 256 characters");

/** Metadata of a conversation. */
export const ConversationMetadataSchema = z.strictObject({
  /** The agent (assistant, graph) the conversation is with. */
  agentId: z.string().min(1).max(256).refine(wellFormed, "agentId must be well-formed unicode").optional(),
  title: z.string().max(1000).optional(),
  description: z.string().max(10_000).optional(),
  tags: z.array(TagSchema).max(100).optional(),
  /**
   * Any JSON object the application wants to keep with the conversation, at most 100 top-level
   * keys (each one is indexed for listConversations' `customData` filter).
   */
  customData: z
    .record(CustomKeySchema, JsonValueSchema)
    .refine((data) => namesOf(data).length <= MAX_CUSTOM_KEYS, `customData may have at most ${MAX_CUSTOM_KEYS} top-level keys`)
    .optional(),
});
export type ConversationMetadata = z.infer<typeof ConversationMetadataSchema>;

export const CreateConversationInputSchema = z.strictObject({
  userId: UserIdSchema,
  metadata: ConversationMetadataSchema.default({}),
  /** The thread to use; generated when absent. A thread a graph already ran on is attached. */
  threadId: ThreadIdSchema.optional(),
});
export type CreateConversationInput = z.input<typeof CreateConversationInputSchema>;

/** `{ userId }`: whom the caller acts for. */
export const AccessSchema = z.strictObject({ userId: UserIdSchema });
export type Access = z.infer<typeof AccessSchema>;

/** What a conversation is doing (see Conversation.status). */
export const ConversationStatusSchema = z.enum(["idle", "busy", "interrupted", "error"]);

/** The deepest `offset` of listConversations (see ListConversationsInputSchema). */
const MAX_OFFSET = 1000;

export const ListConversationsInputSchema = z.strictObject({
  userId: UserIdSchema,
  /** Only conversations that have all of these tags. */
  tags: z.array(TagSchema).max(20).optional(),
  agentId: z.string().min(1).max(256).refine(wellFormed, "agentId must be well-formed unicode").optional(),
  /** @default 20 */
  limit: z.number().int().min(1).max(100).default(20),
  /**
   * Conversations to skip (after the cursor, if any), at most 1,000: a page walks past them inside
   * one script, so a deep offset would hold Redis for as long (some 20 ms per 10,000 skipped).
   * Page deeper with `cursor`, which costs the same at any depth.
   */
  offset: z.number().int().min(0).max(MAX_OFFSET).default(0),
  /** `nextCursor` of the previous page. */
  cursor: z.string().min(1).optional(),
  /** @default "desc" (newest first) */
  order: z.enum(["desc", "asc"]).default("desc"),
  /** Order by last activity (`updatedAt`, the default) or by creation (`createdAt`). */
  sortBy: z.enum(["updatedAt", "createdAt"]).default("updatedAt"),
  /** Only conversations with this status (see Conversation.status). */
  status: ConversationStatusSchema.optional(),
  /**
   * Only conversations whose customData has these top-level keys with these values (equal as
   * JSON, whatever the order of object keys), at most 20.
   */
  customData: z
    .record(CustomKeySchema, JsonValueSchema)
    .refine((data) => namesOf(data).length <= 20, "customData filters at most 20 keys")
    .optional(),
});
export type ListConversationsInput = z.input<typeof ListConversationsInputSchema>;

/** A partial update: the fields given replace the stored ones (`customData` as a whole). */
export const ConversationPatchSchema = ConversationMetadataSchema.extend({
  agentId: ConversationMetadataSchema.shape.agentId.unwrap().nullable().optional(),
  title: z.string().max(1000).nullable().optional(),
  description: z.string().max(10_000).nullable().optional(),
});
export type ConversationPatch = z.input<typeof ConversationPatchSchema>;

const MessageContentSchema = z.union([z.string(), z.array(z.record(z.string(), z.unknown()))]);

/** A message as plain data; LangChain `BaseMessage` instances are accepted as they are. */
export const MessageInputSchema = z.strictObject({
  role: z.enum(MESSAGE_ROLES),
  content: MessageContentSchema,
  name: z.string().min(1).optional(),
  id: z.string().min(1).optional(),
  /** Required with role "tool". */
  toolCallId: z.string().min(1).optional(),
});
export type MessageInput = z.infer<typeof MessageInputSchema>;

export const GetMessagesInputSchema = z.strictObject({
  userId: UserIdSchema,
  /** A checkpoint of the thread; the current state when absent. */
  checkpointId: z.string().min(1).optional(),
});
export type GetMessagesInput = z.input<typeof GetMessagesInputSchema>;

/** A branch name: 1 to 200 characters. */
export const BranchNameSchema = z.string().min(1, "a branch name must not be empty").max(200).refine(wellFormed, "a branch name must be well-formed unicode");

/** A checkpoint id of a conversation's thread. */
export const CheckpointIdSchema = z.string().min(1, "checkpointId must not be empty");

export const ForkConversationInputSchema = z.strictObject({
  userId: UserIdSchema,
  /** The checkpoint to start from; the source's head (active branch tip) when absent. */
  checkpointId: CheckpointIdSchema.optional(),
  /** The fork's title; the source's when absent. */
  title: z.string().max(1000).optional(),
  /** The fork's thread id; generated when absent. */
  threadId: ThreadIdSchema.optional(),
});
export type ForkConversationInput = z.input<typeof ForkConversationInputSchema>;

export const ImportConversationOptionsSchema = z.strictObject({
  userId: UserIdSchema,
  /** The new conversation's thread id; generated when absent. */
  threadId: ThreadIdSchema.optional(),
});
export type ImportConversationOptions = z.input<typeof ImportConversationOptionsSchema>;

/** A conversation's TTL: minutes, "pinned" (never expires) or "default" (the saver's). */
export const ConversationTTLSchema = z.union([z.number().positive().max(60 * 24 * 365 * 100), z.enum(["pinned", "default"])]);

/**
 * Options of {@link ConversationManager.run}. `signal` is checked by hand (an AbortSignal of any
 * realm).
 */
export const RunOptionsSchema = z.strictObject({
  userId: UserIdSchema,
  /**
   * What to do when another run holds the conversation: `"reject"` throws ConversationBusyError,
   * `"enqueue"` waits until the runs before it finish, in order of arrival, `"interrupt"` also asks
   * the running one to stop at its next checkpoint (it fails with ConversationBusyError, reason
   * "interrupted") and then runs from there.
   * @default "reject"
   */
  multitask: z.enum(["reject", "enqueue", "interrupt"]).default("reject"),
  /**
   * How long the lease lasts without renewal, in ms: the run renews it every third of that, so a
   * run whose process dies frees the conversation at most this long after.
   * @default 30_000
   */
  leaseMs: z.number().int().min(1000).max(24 * 60 * 60 * 1000).default(30_000),
  /** How often a waiting run (enqueue) asks whether its turn has come, in ms. @default 100 */
  pollMs: z.number().int().min(10).max(60_000).default(100),
  /** Gives up waiting (enqueue) or cancels the run (passed on to the graph as `signal`). */
  signal: z.custom<AbortSignal>((v) => v === undefined || (typeof v === "object" && v !== null && typeof (v as AbortSignal).aborted === "boolean" && typeof (v as AbortSignal).addEventListener === "function"), "signal must be an AbortSignal").optional(),
});
export type RunOptions = z.input<typeof RunOptionsSchema>;
