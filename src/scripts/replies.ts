/**
 * Reply decoding: what scripts send back, as typed values of stored bytes, and the stored layout
 * of a pending write (its encoder and decoder side by side). Nothing here deserialises a value
 * (that is the serde's job, in src/threads/serde.ts); it only takes a reply's shape apart, so
 * that no caller outside the scripts layer indexes into a raw reply.
 */
import { packParts, unpackParts } from "../codec.js";
import { StorageError } from "../errors.js";

/** A script reply as ioredis gives it with Buffer replies. */
export type Reply = Buffer | number | null | Reply[];

/** A pending write as stored, parsed but not deserialised. */
export interface RawWrite {
  taskId: string;
  idx: number;
  channel: string;
  taskPath: string;
  type: string;
  bytes: Buffer;
  packed: Buffer;
}

/** A stored seed: the blob field and packed value, or (field null) the packed record holding it. */
export interface RawSeed {
  field: string | null;
  value: Buffer;
}

/** One fact of a walk reply (src/lua/includes/delta-walk.lua). */
export interface RawFact {
  id: string;
  parent: string | null;
  /** A checkpoint whose history the caller's cache holds: its parents were not visited. */
  known: boolean;
  /** The checkpoint is gone; the walk of the (lenient) channels in `checked` ends here. */
  gone: boolean;
  /** The channels whose seed was looked for here. */
  checked: string[];
  seeds: Map<string, RawSeed>;
  writes: RawWrite[];
}

/** A checkpoint a walk did not reach in its call, with the channels still walked there. */
export interface FrontierEntry {
  id: string;
  child: string | null;
  channels: string[];
}

/** The part of a reply a walk returns: its facts, and where to resume it (nothing left: empty). */
export interface Walk {
  facts: RawFact[];
  frontier: FrontierEntry[];
}

/** One checkpoint as read_tuple (src/lua/includes/read-tuple.lua) returns it. */
export interface StoredTuple {
  id: string;
  ns: string;
  /** The packed record: checkpoint without channel values, metadata, values without a version. */
  record: Buffer;
  parent: string | null;
  /** Blob field and packed value of each channel value the checkpoint reads. */
  blobs: Array<[string, Buffer]>;
  /** Blob field and list node of the values among them stored element by element. */
  lists: Map<string, string>;
  writes: RawWrite[];
  /** Before checkpoint format 4: the parent's writes, where pending sends lived. */
  parentWrites: RawWrite[] | null;
}

export function text(value: Reply | undefined): string {
  return Buffer.isBuffer(value) ? value.toString("utf8") : value == null ? "" : String(value);
}

export function pairs<T>(flat: readonly T[]): Array<[T, T]> {
  const out: Array<[T, T]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** A stored write: task id, index, channel, task path, type, bytes (see {@link packWrite}). */
export function parseWrite(packed: Buffer): RawWrite {
  const [taskId, idx, channel, taskPath, type, bytes] = unpackParts(packed);
  return {
    taskId: text(taskId),
    idx: Number(text(idx)),
    channel: text(channel),
    taskPath: text(taskPath),
    type: text(type),
    bytes: bytes ?? Buffer.alloc(0),
    packed,
  };
}

/** How a pending write is stored (write-channel.lua reads the channel out of it). */
export function packWrite(w: Omit<RawWrite, "packed">): Buffer {
  return packParts([w.taskId, String(w.idx), w.channel, w.taskPath, w.type, w.bytes]);
}

/**
 * A list version as put sends it (includes/lists.lua plan_list): a first byte 1 (a packed value
 * starts with 0), then the id and length of a stored list this one starts with (none: "" and 0),
 * and the serialised elements after it.
 */
export function listSpec(start: { node: string; length: number } | undefined, after: readonly Uint8Array[]): Buffer {
  return Buffer.concat([LIST_MARK, packParts([start?.node ?? "", String(start?.length ?? 0), ...after])]);
}

const LIST_MARK = Buffer.from([1]);

/** The packParts header of a `json` value of `length` bytes. */
function jsonHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(12);
  header.writeUInt32BE(4, 0);
  header.write("json", 4, "latin1");
  header.writeUInt32BE(length, 8);
  return header;
}

const OPEN = Buffer.from("[");
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]");

/**
 * A channel value as a script returns it: a packed serde value, or a list stored element by
 * element (includes/lists.lua list_value: its node id, then its elements), which becomes the
 * packed JSON of the whole list: byte for byte what the serde wrote for that list
 * (Serde.dumpElements). A list the caller named as known (`known`, by node id) comes back as its
 * node id alone (includes/lists.lua list_value), and its elements are the ones the caller holds:
 * node ids are hashes of their lists, so they are the same bytes.
 */
export function blobValue(reply: Reply | undefined, known?: ReadonlyMap<string, readonly Buffer[]>, sent?: Buffer[]): Buffer {
  if (!Array.isArray(reply)) return reply as Buffer;
  if (reply.length > 1) return packedList(sent === undefined ? (reply as Buffer[]) : itemsOf(reply, sent), 1);
  const elements = known?.get(text(reply[0]));
  if (elements === undefined) throw new StorageError("read", new Error(`a script answered list node ${text(reply[0])} by its id alone, which this process did not name as known`));
  return packedList(elements, 0);
}

/**
 * A list value's items in a reply that sends each item once (list-1.lua, includes/lists.lua
 * list_value): an integer k is the k-th item sent in full earlier in the same reply. `sent` holds
 * those, in order, across the reply's values; read them in the order the script wrote them.
 */
function itemsOf(reply: Reply[], sent: Buffer[]): Buffer[] {
  const items: Buffer[] = [reply[0] as Buffer];
  for (let i = 1; i < reply.length; i++) {
    const item = reply[i];
    if (typeof item === "number") {
      const earlier = sent[item - 1];
      if (earlier === undefined) throw new StorageError("read", new Error(`a script named list item ${item} of its reply, which it had not sent`));
      items.push(earlier);
    } else {
      sent.push(item as Buffer);
      items.push(item as Buffer);
    }
  }
  return items;
}

/** The packed JSON list of `items` from index `from` on (each an element, or elements joined by ","). */
function packedList(items: readonly Buffer[], from: number): Buffer {
  const parts: Buffer[] = [Buffer.alloc(0), OPEN];
  let length = 2 + Math.max(0, items.length - from - 1);
  for (let i = from; i < items.length; i++) {
    if (i > from) parts.push(COMMA);
    parts.push(items[i]!);
    length += items[i]!.byteLength;
  }
  parts.push(CLOSE);
  parts[0] = jsonHeader(length);
  return Buffer.concat(parts, 12 + length);
}

/** The list node a channel value as a script returns it was read from; undefined for a value stored whole. */
export function listNode(reply: Reply | undefined): string | undefined {
  return Array.isArray(reply) ? text(reply[0]) : undefined;
}

/** The tuple of read_tuple, or null for `false`; `known` and `sent` as blobValue takes them. */
export function parseTuple(reply: Reply | undefined, known?: ReadonlyMap<string, readonly Buffer[]>, sent?: Buffer[]): StoredTuple | null {
  if (!Array.isArray(reply)) return null;
  const [id, ns, record, parent, blobs, writes, parentWrites] = reply;
  const values = pairs((blobs as Reply[] | null) ?? []);
  const lists = new Map<string, string>();
  for (const [field, value] of values) {
    const node = listNode(value);
    if (node !== undefined) lists.set(text(field), node);
  }
  return {
    id: text(id),
    ns: text(ns),
    record: record as Buffer,
    parent: parent ? text(parent) : null,
    blobs: values.map(([field, value]) => [text(field), blobValue(value, known, sent)]),
    lists,
    writes: pairs((writes as Buffer[] | null) ?? []).map(([, value]) => parseWrite(value)),
    parentWrites: Array.isArray(parentWrites) ? pairs(parentWrites as Buffer[]).map(([, value]) => parseWrite(value)) : null,
  };
}

/** The facts and frontier of a walk (delta_walk's two flat return values). */
export function parseWalk(channels: readonly string[], factsRaw: Reply | undefined, frontierRaw: Reply | undefined): Walk {
  const nameOf = (index: string) => {
    const name = channels[Number(index) - 1];
    if (name === undefined) throw new Error(`walk reply names channel #${index} of ${channels.length}`);
    return name;
  };
  const indices = (value: Reply | undefined) => (text(value) === "" ? [] : text(value).split(",").map(nameOf));
  const flat = (factsRaw ?? []) as Reply[];
  const facts: RawFact[] = [];
  for (let i = 0; i < flat.length; ) {
    const id = text(flat[i]);
    const parent = flat[i + 1] ? text(flat[i + 1]) : null;
    const kind = flat[i + 2];
    const checked = indices(flat[i + 3]);
    const seedCount = flat[i + 4] as number;
    i += 5;
    const seeds = new Map<string, RawSeed>();
    for (let k = 0; k < seedCount; k++, i += 3) {
      seeds.set(nameOf(String(flat[i])), { field: flat[i + 1] ? text(flat[i + 1]) : null, value: blobValue(flat[i + 2]) });
    }
    const writeCount = flat[i] as number;
    const writes = (flat.slice(i + 1, i + 1 + writeCount) as Buffer[]).map(parseWrite);
    i += 1 + writeCount;
    facts.push({ id, parent, known: kind === 1, gone: kind === 2, checked, seeds, writes });
  }
  const entries = (frontierRaw ?? []) as Reply[];
  const frontier: FrontierEntry[] = [];
  for (let i = 0; i + 2 < entries.length; i += 3) {
    frontier.push({ id: text(entries[i]), child: entries[i + 1] ? text(entries[i + 1]) : null, channels: indices(entries[i + 2]) });
  }
  return { facts, frontier };
}
