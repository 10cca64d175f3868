/**
 * A faster way to what LangGraph's JSON serde (JsonPlusSerializer.loadsTyped("json", ...)) returns
 * for the values a conversation is made of: plain JSON and LangChain's message classes. Reading is
 * bound by deserialising messages, some 20 µs each through the serde: its reviver is asynchronous
 * (a promise per value), and it writes each message back to a JSON string and hands it to
 * @langchain/core's `load`, which parses it again and revives it again, asynchronously, looking
 * up the class and its key aliases each time. Here the bytes are parsed once and each message is
 * built directly, with the same constructor and the same arguments: about a tenth of the time.
 *
 * What the serde does, step by step, and what this does for each (test/unit/json-load.test.ts
 * holds the results equal, deeply and byte for byte, against the installed serde):
 * - Arrays and plain objects are copied as they are (JSON.parse's objects are fresh: used in place).
 * - A LangChain object (`lc: 1`, `type: "constructor"`) has its kwargs written to JSON and parsed
 *   again: the same values, except that -0 becomes 0 (done here). `load` then copies them, builds
 *   the class that the id names (`langchain_core/messages/<class>`: the classes below), renames the
 *   kwargs' keys through the class's aliases, else to camelCase (done here, the aliases read once
 *   per class), and calls `new Class(renamed)`.
 * - `undefined`, which the serde writes as `{ lc: 2, type: "undefined" }`, is read as undefined; in
 *   a message's kwargs the write back to JSON drops it (null in an array): done here too.
 * - Everything else takes the serde's own path, for the whole value: any other object with an `lc`
 *   key (Set, Map, RegExp, Error, Uint8Array and DeltaSnapshot records, secrets, other classes,
 *   escaped objects), a key `__proto__` (the serde's copy makes it the prototype), a
 *   kwargs key that renames through Object.prototype or to a `__` name, and values nested deeper
 *   than 40 (`load` refuses past 50). Such values are read exactly as before, only not faster.
 *
 * Only with the saver's default serde: a serde of the caller's (the `serde` option) is always
 * called as it is, and passing `new JsonPlusSerializer()` there turns this off. And only once
 * `agrees` has found, in this process, that the serde reads a message of each class back as this
 * does: a later @langchain/core whose `load` builds messages otherwise turns it off by itself.
 */
import { isDeepStrictEqual } from "node:util";
import { MESSAGE_CLASS_NAMES, canaryMessages, messageClass, oncePerSerde } from "./message-classes.js";

/** A value this module leaves to the serde (the whole value then takes the serde's path). */
const OTHER = Symbol("other");

/** Deeper than this, the serde's path (core's `load` throws past 50, counted from the message). */
const MAX_DEPTH = 40;

type Builder = new (fields: Record<string, unknown>) => object;

interface MessageClass {
  builder: Builder;
  /** The class's key aliases, inverted as `load` inverts them: JSON key to constructor key. */
  aliases: Record<string, string>;
  /** JSON key to constructor key, as worked out (undefined when the key takes the serde's path). */
  renamed: Map<string, string | undefined>;
}

const CLASSES = new Map<string, MessageClass>();
for (const name of MESSAGE_CLASS_NAMES) {
  // `load` finds them in the same module (@langchain/core's import map, `messages`).
  const builder = messageClass(name);
  if (builder === undefined) continue; // a class a later @langchain/core may drop
  // As `load` gathers them: each class's `lc_aliases` up the class chain, inverted. The getters
  // return constants, so once per class is the same as once per message.
  const gathered: Record<string, unknown> = {};
  for (let c = builder as { prototype?: object } | null; c && c.prototype; c = Object.getPrototypeOf(c) as { prototype?: object } | null) {
    Object.assign(gathered, Reflect.get(c.prototype, "lc_aliases") as object | undefined);
  }
  const aliases = Object.create(null) as Record<string, string>;
  for (const [key, alias] of Object.entries(gathered)) aliases[String(alias)] = key;
  CLASSES.set(name, { builder, aliases, renamed: new Map() });
}

const decoder = new TextDecoder();

/**
 * The value LangGraph's JSON serde reads from `bytes`, or undefined when it is one to leave to
 * the serde (see the module comment; the caller then calls the serde).
 */
export function loadJson(bytes: Uint8Array): { value: unknown } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes)); // as the serde decodes and parses
  } catch {
    return undefined; // the serde throws its own error for it
  }
  const value = revive(parsed);
  return value === OTHER ? undefined : { value };
}

/**
 * Whether `serde` reads back, as loadJson does, a message of each class with the kwargs that
 * `load` renames (aliases, camelCase) and nested values: once per serde and process, a few
 * milliseconds. False (and the serde reads everything) if any differs, deeply or written back.
 */
export const agrees = oncePerSerde(async (serde) => {
  const canary = canaryMessages();
  const [type, bytes] = await serde.dumpsTyped({ messages: canary, n: 1 });
  if (type !== "json") return false;
  const fast = loadJson(bytes);
  const reference: unknown = await serde.loadsTyped("json", bytes);
  if (fast === undefined || !isDeepStrictEqual(fast.value, reference)) return false;
  const [, again] = await serde.dumpsTyped(fast.value);
  const [, expected] = await serde.dumpsTyped(reference);
  return Buffer.from(again).equals(Buffer.from(expected));
});

/** A value outside any message, revived in place. */
function revive(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = revive(value[i]);
      if (v === OTHER) return OTHER;
      value[i] = v;
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, "lc")) return isUndefinedRecord(record) ? undefined : message(record);
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    if (key === "__proto__") return OTHER;
    const v = revive(record[key]);
    if (v === OTHER) return OTHER;
    record[key] = v;
  }
  return record;
}

/** A serialised LangChain message, built as `load` builds it; OTHER for any other `lc` object. */
function message(record: Record<string, unknown>): unknown {
  const { id, kwargs } = record;
  if (record.lc !== 1 || record.type !== "constructor" || !Array.isArray(id) || id.length !== 3) return OTHER;
  if (id[0] !== "langchain_core" || id[1] !== "messages" || typeof id[2] !== "string") return OTHER;
  if (typeof kwargs !== "object" || kwargs === null || Array.isArray(kwargs)) return OTHER;
  let keys = 0;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    if (key !== "lc" && key !== "type" && key !== "id" && key !== "kwargs") return OTHER;
    keys++;
  }
  const cls = keys === 4 ? CLASSES.get(id[2]) : undefined;
  if (cls === undefined) return OTHER;
  const fields: Record<string, unknown> = {};
  const args = kwargs as Record<string, unknown>;
  for (const key in args) {
    if (!Object.hasOwn(args, key)) continue;
    const to = rename(cls, key);
    if (to === undefined) return OTHER;
    const v = plain(args[key], 2); // the message is depth 0 for `load`, its kwargs 1
    if (v === OTHER) return OTHER;
    if (v !== DROPPED) fields[to] = v;
  }
  const instance = new cls.builder(fields);
  Object.defineProperty(instance.constructor, "name", { value: id[2] }); // as `load` does
  return instance;
}

/**
 * A kwargs key as `load` renames it (the class's alias, else camelCase); undefined for a key that
 * `load` would look up on Object.prototype, the one `lc` (a secret or a class to `load`), or one
 * that would become a `__` name.
 */
function rename(cls: MessageClass, key: string): string | undefined {
  if (cls.renamed.has(key)) return cls.renamed.get(key);
  let to: string | undefined = cls.aliases[key] || camelCase(key);
  if (key === "lc" || key in Object.prototype || to in Object.prototype || key.startsWith("__") || to.startsWith("__")) to = undefined;
  if (cls.renamed.size < 1000) cls.renamed.set(key, to);
  return to;
}

/** @langchain/core's camelCase for kwargs keys (load/map_keys). */
function camelCase(key: string): string {
  const trimmed = key.trim();
  if (!/[-_\s]/.test(trimmed)) return trimmed;
  return trimmed
    .replace(/[-_\s]+/g, "_")
    .toLowerCase()
    .replace(/_+([a-z0-9])/g, (_, char: string) => char.toUpperCase());
}

/** In a message's kwargs, an `undefined` the serde wrote: its write and read back drop it (null in an array). */
const DROPPED = Symbol("dropped");

/**
 * A value inside a message's kwargs, in place, as the serde's reviver, its write back to JSON and
 * `load` leave it: plain JSON (an `lc` or `__lc_escaped__` key is something `load` revives or
 * unwraps), -0 as 0, and an `undefined` record (LangChain writes kwargs given as undefined, such
 * as a chunk's usage_metadata) gone from an object, null in an array.
 */
function plain(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) return OTHER;
  if (typeof value !== "object" || value === null) return Object.is(value, -0) ? 0 : value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = plain(value[i], depth + 1);
      if (v === OTHER) return OTHER;
      value[i] = v === DROPPED ? null : v;
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, "lc")) return isUndefinedRecord(record) ? DROPPED : OTHER;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    if (key === "__lc_escaped__" || key === "__proto__") return OTHER;
    const v = plain(record[key], depth + 1);
    if (v === OTHER) return OTHER;
    if (v === DROPPED) delete record[key];
    else record[key] = v;
  }
  return record;
}

/** What the serde writes for `undefined`, exactly (the serde reads any `lc: 2, type: "undefined"` so; others go its way). */
function isUndefinedRecord(record: Record<string, unknown>): boolean {
  if (record.lc !== 2 || record.type !== "undefined") return false;
  let keys = 0;
  for (const key in record) if (Object.hasOwn(record, key)) keys++;
  return keys === 2;
}
