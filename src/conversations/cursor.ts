/**
 * Listing cursors: where the next page of a user's conversations starts (the activity score of the
 * last one shown), bound to the listing it came from (same user, tags, agent and order) by a
 * fingerprint, so a cursor of another listing is refused rather than misread.
 */
import { createHash } from "node:crypto";
import { InvalidInputError } from "../errors.js";

const CURSOR_VERSION = 2;

/** What makes two listings the same one. */
export interface ListingKey {
  userId: string;
  tags: readonly string[];
  agentId: string | null;
  order: "asc" | "desc";
  sortBy: "updatedAt" | "createdAt";
  status: string | null;
  /** customData index entries filtered on, sorted. */
  custom: readonly string[];
}

export function fingerprint(listing: ListingKey): string {
  return createHash("sha1")
    .update(JSON.stringify([listing.userId, listing.tags, listing.agentId, listing.order, listing.sortBy, listing.status, listing.custom]))
    .digest("base64url")
    .slice(0, 12);
}

/** The cursor to continue a listing after the conversation with activity `score`. */
export function encodeCursor(score: string, listing: ListingKey): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, s: score, f: fingerprint(listing) })).toString("base64url");
}

/** The activity score a cursor continues after; InvalidInputError for anything else. */
export function decodeCursor(cursor: string, listing: ListingKey): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = undefined;
  }
  const c = decoded as { v?: unknown; s?: unknown; f?: unknown } | undefined;
  if (!c || c.v !== CURSOR_VERSION || typeof c.s !== "string" || !/^\d+$/.test(c.s) || c.f !== fingerprint(listing)) {
    throw new InvalidInputError("listConversations: unknown cursor (pass the nextCursor of a page listed with the same userId, filters, sortBy and order)", {
      issues: [{ code: "custom", path: ["cursor"], message: "unknown cursor" }],
    });
  }
  return c.s;
}
