/**
 * A faster way to the bytes LangGraph's JSON serde (JsonPlusSerializer.dumpsTyped) writes for the
 * values a conversation is made of: plain JSON data (a checkpoint's record, writes, inputs) with
 * LangChain messages anywhere in it; the write side of src/threads/json-load.ts. Most of the serde's
 * time on a message (some 20 µs) goes to LangChain's `toJSON`, which looks up the class's key
 * aliases through getters that build new objects at every call, copies every kwargs value to
 * escape it, snake-cases every key with three regular expressions, and to the serde's own walk of
 * the whole value for cycles before it stringifies. Here the class's constants are read once and
 * the record `toJSON` would return is built directly, then stringified as the serde stringifies
 * it: about a third of the time.
 *
 * What `toJSON` and the serde do, step by step, and what this does for each
 * (test/unit/json-dump.test.ts holds the bytes equal to the installed serde's):
 * - The kwargs are the keys of `lc_kwargs`, each valued `key in message ? message[key] :
 *   lc_kwargs[key]`: done the same way, reading each value once.
 * - Aliases, secrets and attributes are gathered up the class chain through getters: the message
 *   classes define aliases only, constants read once per class (and checked to be so, with no
 *   secrets or attributes, when the class is first met).
 * - Each kwargs value is copied to escape it (an object with an `lc` key, or with only
 *   `__lc_escaped__`, is wrapped; an object that refers back to one it is in is replaced; a class
 *   instance is copied as a plain object or, if it is LangChain's, written by its own `toJSON`):
 *   here values are taken only when they are plain JSON data (strings, numbers, booleans, null,
 *   undefined, arrays and plain objects, no cycle, no such key, not deeper than 64), for which the
 *   copy writes the same bytes as the value.
 * - Keys are renamed through the aliases, else snake-cased: the same functions, remembered per key.
 * - The serde stringifies the value with a replacer that writes `undefined` as
 *   `{ lc: 2, type: "undefined" }` (and Sets, Maps, Errors, a `Send`... which plain data does not
 *   hold), after a walk that replaces cycles: there are none in plain data, so the same
 *   `JSON.stringify`, on the value with each message replaced by its record (see `writable`).
 * Anything else takes the serde's path, for the whole value.
 *
 * Only with the saver's default serde, and only once `writerAgrees` has found, in this process,
 * that the serde writes a message of each class as this does.
 */
import { MESSAGE_CLASS_NAMES, canaryMessages, messageClass, oncePerSerde } from "./message-classes.js";
import { Serializable } from "@langchain/core/load/serializable";

/** Deeper than this, the serde's path. */
const MAX_DEPTH = 64;

/** What the serde writes for `undefined`. */
const UNDEFINED = { lc: 2, type: "undefined" } as const;

const replacer = (_key: string, value: unknown): unknown => (value === undefined ? UNDEFINED : value);

interface MessageClass {
  /** The last part of the id LangChain writes (`get_lc_unique_name` of the class). */
  name: string;
  /** The class's aliases up its chain, gathered as `toJSON` gathers them. */
  aliases: Record<string, unknown>;
  /** kwargs key to JSON key, as worked out (undefined: the key takes the serde's path). */
  renamed: Map<string, string | undefined>;
}

/** By prototype; null for a class whose getters are not constants as expected (the serde's path). */
const CLASSES = new Map<object, MessageClass | null>();
for (const name of MESSAGE_CLASS_NAMES) {
  const cls = messageClass(name);
  if (cls !== undefined) CLASSES.set(cls.prototype as object, null);
}

/**
 * A message class's constants, taken from a message of it the first time one is written: its name
 * as `toJSON` writes it, and the aliases gathered up the chain. Null when the chain has secrets or
 * attributes, or aliases that differ between two reads (getters that are not constants).
 */
function classOf(message: object, proto: object): MessageClass | null | undefined {
  const known = CLASSES.get(proto);
  if (known !== null || !CLASSES.has(proto)) return known;
  const gather = () => {
    const aliases: Record<string, unknown> = {};
    for (let current: object | null = proto; current; current = Object.getPrototypeOf(current) as object | null) {
      if (hasAny(Reflect.get(current, "lc_secrets", message)) || hasAny(Reflect.get(current, "lc_attributes", message))) return undefined;
      Object.assign(aliases, Reflect.get(current, "lc_aliases", message));
    }
    return aliases;
  };
  const aliases = gather();
  const again = gather();
  const constructor = (proto as { constructor: { name: string; lc_name?: () => string } }).constructor;
  const parent = Object.getPrototypeOf(constructor) as { lc_name?: () => string };
  // get_lc_unique_name in @langchain/core's load/serializable.
  const name = typeof constructor.lc_name === "function" && (typeof parent.lc_name !== "function" || constructor.lc_name() !== parent.lc_name()) ? constructor.lc_name() : constructor.name;
  const cls = aliases === undefined || again === undefined || JSON.stringify(aliases) !== JSON.stringify(again) ? null : { name, aliases, renamed: new Map<string, string | undefined>() };
  CLASSES.set(proto, cls);
  return cls;
}

function hasAny(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "object") return true;
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

/**
 * The bytes LangGraph's JSON serde writes for `value`: plain JSON data (objects, arrays, strings,
 * numbers, booleans, null, undefined) in which LangChain messages of the classes above may stand
 * anywhere (a checkpoint's record, a list of messages, `{ messages: [...] }`); undefined when the
 * value holds anything else, or is one to leave to the serde (see the module comment).
 */
export function dumpJson(value: unknown): Buffer | undefined {
  // Without an undefined anywhere, the replacer changes nothing: JSON.stringify is faster without it.
  const seen = { undefined: false };
  const out = writable(value, [], 0, seen);
  if (out === OTHER) return undefined;
  return Buffer.from(seen.undefined ? JSON.stringify(out, replacer) : JSON.stringify(out), "utf8");
}

/** A value left to the serde. */
const OTHER = Symbol("other");

/**
 * `value` as JSON.stringify must see it to write what the serde writes: itself when it holds no
 * message, else a copy of the objects and arrays on the way to each message, with each message as
 * the record its `toJSON` returns. OTHER for anything the serde writes otherwise: a class instance
 * other than those messages (a Date, a Map, a Uint8Array...), a function, a BigInt, a symbol, an
 * object met twice on one path (the serde writes "[Circular]" there), a LangGraph `Send` (its
 * replacer rewrites it), deeper than 64. Outside a message nothing is escaped: `lc` keys and the
 * like are written as they are, by the serde too.
 */
function writable(value: unknown, path: object[], depth: number, seen: Seen): unknown {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value;
    case "undefined":
      seen.undefined = true;
      return value;
    case "object":
      break;
    default:
      return OTHER;
  }
  if (value === null) return value;
  if (depth > MAX_DEPTH || path.includes(value)) return OTHER;
  if ((value as { lg_name?: unknown }).lg_name === "Send") return OTHER;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return OTHER;
    path.push(value);
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]; // a hole reads as undefined, which the replacer writes
      const out = writable(item, path, depth + 1, seen);
      if (out === OTHER) return OTHER;
      if (out !== item) (copy ??= value.slice())[i] = out;
    }
    path.pop();
    return copy ?? value;
  }
  if (!isPlainObject(value)) return messageRecord(value, seen) ?? OTHER;
  path.push(value);
  const keys = ownKeys(value);
  let copy: unknown[] | undefined;
  for (let i = 0; i < keys.length; i++) {
    const item = value[keys[i]!];
    const out = writable(item, path, depth + 1, seen);
    if (out === OTHER) return OTHER;
    if (out !== item) (copy ??= keys.map((k) => value[k]))[i] = out;
  }
  path.pop();
  // fromEntries defines each key as its own property: an own "__proto__" stays a key.
  return copy === undefined ? value : Object.fromEntries(keys.map((k, i) => [k, copy[i]]));
}

/** What the walk of plain data met that matters to how it is written. */
interface Seen {
  undefined: boolean;
}

/** The record `toJSON` returns for `message`, built directly; undefined to leave it to the serde. */
function messageRecord(message: unknown, seen: Seen): object | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const proto = Object.getPrototypeOf(message) as object | null;
  if (proto === null) return undefined;
  const cls = classOf(message, proto);
  if (!cls || Object.hasOwn(message, "constructor")) return undefined;
  const m = message as Record<string, unknown>;
  const lcKwargs = m.lc_kwargs;
  const namespace = m.lc_namespace;
  if (!m.lc_serializable || !isPlainObject(lcKwargs) || lcKwargs instanceof Serializable) return undefined;
  if (!isStrings(namespace)) return undefined;
  // toJSON gathers the kwargs, then renames their keys in the same order: one pass does both.
  const mapped: Record<string, unknown> = {};
  for (const key of ownKeys(lcKwargs)) {
    const value = key in m ? m[key] : lcKwargs[key];
    if (!plainData(value, [message], 1, seen)) return undefined;
    const to = rename(cls, key);
    if (to === undefined) return undefined;
    mapped[to] = value;
  }
  return { lc: 1, type: "constructor", id: [...namespace, cls.name], kwargs: mapped };
}

/**
 * A kwargs key as `toJSON` writes it (the class's alias, else snake_case); undefined for one that
 * would rename through Object.prototype or make `toJSON`'s own objects take a prototype.
 */
function rename(cls: MessageClass, key: string): string | undefined {
  if (cls.renamed.has(key)) return cls.renamed.get(key);
  let to: string | undefined;
  if (key !== "__proto__" && !(key in Object.prototype)) {
    const alias = cls.aliases[key];
    to = typeof alias === "string" && alias !== "" ? alias : alias === undefined ? snakeCase(key) : undefined;
    if (to === "__proto__" || (to !== undefined && to in Object.prototype)) to = undefined;
  }
  if (cls.renamed.size < 1000) cls.renamed.set(key, to);
  return to;
}

/** @langchain/core's snakeCase for kwargs keys (load/map_keys). */
function snakeCase(key: string): string {
  return key
    .replace(/([A-Z]+)([A-Z][a-z0-9]+)/g, "$1_$2")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[-_\s]+/g, "_")
    .toLowerCase();
}

/** An array of strings and nothing else (no hole, which the id's copy would write as undefined). */
function isStrings(value: unknown): value is string[] {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== "string") return false;
  return true;
}

/**
 * An object's own enumerable string keys, in JSON.stringify's order (for-in over an object whose
 * prototype has no enumerable keys: plain objects here).
 */
function ownKeys(value: object): string[] {
  const keys: string[] = [];
  for (const key in value) if (Object.hasOwn(value, key)) keys.push(key);
  return keys;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Whether `value` is plain JSON data that `toJSON`'s escaping copies to the same bytes and the
 * serde's replacer leaves as it is (undefined aside): no object met twice on one path (`path`, the
 * message first), no `lc` key, no lone `__lc_escaped__` key, no `__proto__` key, no LangGraph
 * `Send`, nothing but strings, finite or not numbers, booleans, null, undefined, arrays and plain
 * objects.
 */
function plainData(value: unknown, path: object[], depth: number, seen: Seen): boolean {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return true;
    case "undefined":
      seen.undefined = true;
      return true;
    case "object":
      break;
    default:
      return false; // bigint, symbol, function
  }
  if (value === null) return true;
  if (depth > MAX_DEPTH || path.includes(value)) return false;
  path.push(value);
  try {
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype || (value as { lg_name?: unknown }).lg_name === "Send") return false;
      for (let i = 0; i < value.length; i++) if (!plainData(value[i], path, depth + 1, seen)) return false;
      return true;
    }
    if (!isPlainObject(value)) return false;
    const keys = ownKeys(value);
    if (keys.length === 1 && keys[0] === "__lc_escaped__") return false;
    if ("lc" in value || value.lg_name === "Send") return false;
    for (const key of keys) {
      if (key === "__proto__" || !plainData(value[key], path, depth + 1, seen)) return false;
    }
    return true;
  } finally {
    path.pop();
  }
}

/**
 * Whether `serde` writes, as dumpJson does, a message of each class with aliased and snake-cased
 * keys, nested values and undefined fields: once per serde and process, a few milliseconds. False
 * (and the serde writes everything) if any differs by a byte.
 */
export const writerAgrees = oncePerSerde(async (serde) => {
  const canary = canaryMessages();
  const fast = dumpJson(canary);
  const [type, bytes] = await serde.dumpsTyped(canary);
  return type === "json" && fast !== undefined && fast.equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
});
