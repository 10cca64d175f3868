/**
 * The domain outcomes scripts report as small negative integers (src/lua/includes/codes.lua, one
 * name per number; test/unit/codes.test.ts holds the two together), and the one function that
 * turns them into errors.
 */
import { ChangedError, ConversationExistsError, NotFoundError, StorageError, type RedisTreeError } from "../errors.js";

export const ScriptCode = {
  /** The thread belongs to someone else; callers answer as for a missing conversation. */
  NOT_OWNER: -1,
  /** The thread already has a conversation. */
  EXISTS: -2,
  /** A compare-and-set lost: the record changed since it was read. */
  CHANGED: -3,
  /** put: a list spec named a start (list node) that is not stored; the saver sends the lists whole. */
  RESEND: -4,
} as const;

export type ScriptCode = (typeof ScriptCode)[keyof typeof ScriptCode];

/** What an error for a code says: the operation, and the thread (and checkpoint) it was about. */
export interface CodeContext {
  operation: string;
  threadId: string;
  checkpointId?: string;
}

/**
 * The error for a script's code. A wrong owner gets the same answer as a missing conversation, so
 * that existence does not leak.
 */
export function codeError(code: number, context: CodeContext): RedisTreeError {
  switch (code) {
    case ScriptCode.NOT_OWNER:
      return new NotFoundError(context.threadId);
    case ScriptCode.EXISTS:
      return new ConversationExistsError(context.threadId);
    case ScriptCode.CHANGED:
      return new ChangedError(context.operation);
    case ScriptCode.RESEND:
      // put answers it to its caller, which sends the lists whole; it never reaches a user.
      return new StorageError(context.operation, new Error("a list start named by the saver is no longer stored"));
    default:
      return new StorageError(context.operation, new Error(`the script answered with an unknown code ${code}`));
  }
}

/** Whether a script's reply is one of its codes (a bare negative integer) rather than data. */
export function isCode(reply: unknown): reply is number {
  return typeof reply === "number" && reply < 0;
}
