/**
 * Values through the saver's serde, and their framing in Redis. Everything the saver stores goes
 * through the serde first and is kept as `[type, bytes]` framed by packParts; this module is the
 * one place that (de)serialises, names what failed, and refuses what the serde cannot represent.
 * It also defines the checkpoint record, the one value a checkpoint's node stores besides its
 * channel values.
 */
import type { Checkpoint, CheckpointMetadata, SerializerProtocol } from "@langchain/langgraph-checkpoint";
import { packParts, unpackParts } from "../codec.js";
import { InvalidInputError, SerializationError } from "../errors.js";
import { ElementBytes, holds, type Shape } from "./elements.js";
import { dumpJson, writerAgrees } from "./json-dump.js";
import { agrees, loadJson } from "./json-load.js";

/** What a checkpoint's record holds (through the serde): one value, one (de)serialisation. */
export interface StoredRecord {
  checkpoint: Omit<Checkpoint, "channel_values">;
  metadata: CheckpointMetadata;
  /** Channel values that have no version in `channel_versions` (stored with the record, not as blobs). */
  values?: Record<string, unknown>;
}

/** LangGraph's DeltaSnapshot (a DeltaChannel's full value), checked by shape as LangGraph does. */
export function isDeltaSnapshot(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as { lg_name?: unknown }).lg_name === "DeltaSnapshot";
}

/**
 * A list's elements as stored: each one's serialised bytes, and the shape of the element object
 * they were serialised (or read) from, where it can be cached (src/threads/elements.ts).
 */
export interface ListElements {
  bytes: Buffer[];
  shapes: Array<Shape | undefined>;
}

/** A value to deserialise, and what to call it in an error. */
export interface Serialised {
  type: string;
  bytes: Buffer;
  what: string;
}

/** What LangGraph's JSON serde writes in place of a value it cannot serialise. */
const UNSERIALIZABLE = "[unable to serialize, circular reference is too complex to analyze]";
const UNSERIALIZABLE_JSON = Buffer.from(JSON.stringify(UNSERIALIZABLE));

/** What LangGraph's JSON serde writes in place of a reference to an enclosing object. */
const CIRCULAR_JSON = Buffer.from(JSON.stringify("[Circular]"));

/** How an own `__proto__` key stands in JSON (JSON.stringify never escapes its characters). */
const PROTO_KEY = Buffer.from('"__proto__":');

const JSON_OPEN = Buffer.from("[");
const JSON_COMMA = Buffer.from(",");
const JSON_CLOSE = Buffer.from("]");

/**
 * `make` for each item, where each result comes at once or as a promise (as Serde.dumpTyped's):
 * the results at once when none is a promise, else a promise of them all. When `make` throws, the
 * promises already made (and `started`, one the caller made before) are observed before the error
 * goes on, so that none of them fails unhandled.
 */
export function collect<I, T>(items: readonly I[], make: (item: I, i: number) => T | Promise<T>, started?: unknown): T[] | Promise<T[]> {
  const out = new Array<T | Promise<T>>(items.length);
  let waiting = false;
  try {
    for (let i = 0; i < items.length; i++) {
      const made = make(items[i]!, i);
      if (made instanceof Promise) waiting = true;
      out[i] = made;
    }
  } catch (err) {
    for (const made of [...out, started]) if (made instanceof Promise) made.catch(() => undefined);
    throw err;
  }
  return waiting ? Promise.all(out) : (out as T[]);
}

export class Serde {
  readonly serde: SerializerProtocol;
  /** Whether it is LangGraph's default JSON serde (see loadMany). */
  readonly #default: boolean;
  /** Whether the default serde writes messages as json-dump.ts does (writerAgrees), once known. */
  #writer: boolean | undefined;
  /** Whether the default serde reads as json-load.ts does (agrees), once known. */
  #reader: boolean | undefined;
  /** List elements already serialised, reused while they hold what they held (src/threads/elements.ts). */
  readonly #elements = new ElementBytes();

  /** The largest serialised value stored (the saver's `maxValueBytes`). */
  readonly #maxBytes: number;

  constructor(serde: SerializerProtocol, isDefault: boolean, maxBytes = Number.POSITIVE_INFINITY) {
    this.serde = serde;
    this.#default = isDefault;
    this.#maxBytes = maxBytes;
  }

  /**
   * A value as `[type, bytes]`; a value the serde cannot represent is a SerializationError, one
   * larger than `maxValueBytes` an InvalidInputError. Everything the saver stores is serialised
   * here, so this is the one place that checks sizes.
   *
   * Returned at once when this saver's JSON writer writes the value (messages and plain data, the
   * values of a graph step), a promise when the serde must: a put makes a few dozen of these calls
   * and each promise costs (LangChain's context tracking hooks every promise made).
   */
  dumpTyped(value: unknown, what: string): [string, Uint8Array] | Promise<[string, Uint8Array]> {
    const tried = this.#writer === true;
    const bytes = tried ? this.#writeJson(value) : undefined;
    if (bytes !== undefined) return this.#checked(value, ["json", bytes], what);
    return this.#dumpThroughSerde(value, what, tried);
  }

  /** dumpTyped through the serde; the writer first when it was not `tried` (its first use). */
  async #dumpThroughSerde(value: unknown, what: string, tried: boolean): Promise<[string, Uint8Array]> {
    let dumped: [string, Uint8Array] | undefined;
    try {
      // The writer is checked against the serde once (writerAgrees), before its first use.
      if (this.#writer === undefined && this.#default) this.#writer = await writerAgrees(this.serde);
      const bytes = !tried && this.#writer === true ? this.#writeJson(value) : undefined;
      dumped = bytes !== undefined ? ["json", bytes] : await this.serde.dumpsTyped(value);
    } catch (err) {
      throw new SerializationError(`could not serialise ${what}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    return this.#checked(value, dumped, what);
  }

  #checked(value: unknown, dumped: [string, Uint8Array], what: string): [string, Uint8Array] {
    // LangGraph's JSON serde does not throw on a value it cannot write (a BigInt, a throwing
    // toJSON): it writes a placeholder string instead, and the value would come back as that
    // string. Refuse it rather than store something else than what was given.
    const bytes = dumped[1];
    if (bytes.byteLength > this.#maxBytes) {
      throw new InvalidInputError(`${what} is ${bytes.byteLength} bytes serialised, more than maxValueBytes (${this.#maxBytes}); nothing was written`);
    }
    if (dumped[0] === "json" && bytes.byteLength === UNSERIALIZABLE_JSON.byteLength && value !== UNSERIALIZABLE && UNSERIALIZABLE_JSON.equals(bytes)) {
      throw new SerializationError(`could not serialise ${what}: the serde cannot represent it (a BigInt, a throwing toJSON?)`, undefined);
    }
    return dumped;
  }

  /** A value as stored: `[type, bytes]` framed (at once or as a promise, as dumpTyped). */
  dump(value: unknown, what: string): Buffer | Promise<Buffer> {
    const dumped = this.dumpTyped(value, what);
    return dumped instanceof Promise ? dumped.then(packParts) : packParts(dumped);
  }

  /**
   * The elements of a list as its whole serialisation holds them, for storage element by element
   * (src/lua/includes/lists.lua), or undefined when the list is to be stored whole. Only with
   * LangGraph's JSON serde: its bytes for a list are `[`, the bytes of each element joined by
   * `,`, and `]` (test/unit/lists.test.ts holds it to that), so Redis hands back exactly the bytes
   * the whole list would have had. An element it writes as something else than JSON (a
   * Uint8Array), and a list whose elements refer back to an enclosing object (written as
   * "[Circular]", which depends on where the walk starts), are stored whole. At once, or a
   * promise when an element goes through the serde (as dumpTyped).
   */
  dumpElements(list: readonly unknown[], what: string, previous?: { readonly bytes: readonly Buffer[]; readonly shapes: ReadonlyArray<Shape | undefined> }): ListElements | undefined | Promise<ListElements | undefined> {
    if (!this.#default || list.length === 0) return undefined;
    const into: ListElements = { bytes: new Array<Buffer>(list.length), shapes: new Array<Shape | undefined>(list.length) };
    // The list this channel held last (the one put or read before): the same objects at the same
    // places, checked against the shapes they had then, without a lookup per element. A graph
    // step puts its messages again with one more at the end. The first element that is not the
    // one before, or not as it was, goes to the lookup below with all those after it.
    let i = 0;
    if (previous !== undefined) {
      const same = Math.min(list.length, previous.bytes.length);
      for (; i < same; i++) {
        const shape = previous.shapes[i];
        if (shape === undefined || !holds(list[i], shape)) break;
        into.bytes[i] = previous.bytes[i]!;
        into.shapes[i] = shape;
      }
    }
    return this.#elementsFrom(list, what, into, i);
  }

  /** dumpElements from element `i` on; waits only for an element the serde writes. */
  #elementsFrom(list: readonly unknown[], what: string, into: ListElements, i: number): ListElements | undefined | Promise<ListElements | undefined> {
    for (; i < list.length; i++) {
      const element = list[i];
      const cached = this.#elements.entry(element);
      if (cached !== undefined) {
        into.bytes[i] = cached.bytes;
        into.shapes[i] = cached.shape;
        continue;
      }
      const shape = this.#elements.shape(element);
      const dumped = this.dumpTyped(element, `${what}, element ${i}`);
      if (dumped instanceof Promise) {
        const at = i;
        return dumped.then((d) => (this.#element(element, shape, d, into, at) ? this.#elementsFrom(list, what, into, at + 1) : undefined));
      }
      if (!this.#element(element, shape, dumped, into, i)) return undefined;
    }
    return into;
  }

  /** Keeps element `i`'s bytes; false when the list must be stored whole (see dumpElements). */
  #element(element: unknown, shape: Shape | undefined, [type, dumped]: [string, Uint8Array], into: ListElements, i: number): boolean {
    if (type !== "json") return false;
    const buffer = Buffer.from(dumped.buffer, dumped.byteOffset, dumped.byteLength);
    if (buffer.includes(CIRCULAR_JSON)) return false;
    into.shapes[i] = this.#elements.set(element, shape, buffer);
    into.bytes[i] = buffer;
    return true;
  }

  /**
   * After a read: remembers, for each element of a list just deserialised from the packed JSON
   * `packed` (a list stored element by element), the bytes it was read from, so that the next put
   * of a list that holds it does not serialise it again (a graph run reads its thread, then puts
   * the same messages and one more). `known` are those bytes when the caller already has them;
   * otherwise they are found in `packed`. Returns the elements, or undefined when the list cannot
   * be taken apart (another serde, a count that does not match).
   */
  adoptElements(list: readonly unknown[], packed: Buffer, known?: readonly Buffer[]): ListElements | undefined {
    if (!this.#default || list.length === 0) return undefined;
    const bytes = known !== undefined && known.length === list.length ? [...known] : splitJsonList(packed);
    if (bytes === undefined || bytes.length !== list.length) return undefined;
    // An element whose bytes hold a `__proto__` key was not read back as written (LangGraph's serde
    // makes such a key the object's prototype, and this saver's reader leaves it to the serde): its
    // bytes do not stand for the object, which the next put serialises again.
    const shapes = list.map((element, i) => (bytes[i]!.includes(PROTO_KEY) ? undefined : this.#elements.adopt(element, bytes[i]!)));
    return { bytes, shapes };
  }

  /** A checkpoint's record as stored; values without a version only when there are some. */
  record(checkpoint: Omit<Checkpoint, "channel_values">, metadata: CheckpointMetadata, values?: Record<string, unknown>): Buffer | Promise<Buffer> {
    const record: StoredRecord = { checkpoint, metadata };
    if (values !== undefined && Object.entries(values).length > 0) record.values = values;
    return this.dump(record, "checkpoint");
  }

  /** The type and bytes of a stored value; a foreign or truncated one is a SerializationError. */
  unpack(packed: Buffer, what: string): Serialised {
    let parts: Buffer[];
    try {
      parts = unpackParts(packed);
    } catch (err) {
      throw new SerializationError(`stored ${what} is not in this library's format`, err);
    }
    return { type: parts[0]?.toString("utf8") ?? "", bytes: parts[1] ?? Buffer.alloc(0), what };
  }

  /** A stored value, deserialised. */
  load(packed: Buffer, what: string): Promise<unknown> {
    const { type, bytes } = this.unpack(packed, what);
    return this.loadTyped(type, bytes, what);
  }

  /**
   * Deserialises several values. With LangGraph's own JSON serde, the JSON values are joined into
   * one JSON array and deserialised in one call: a tuple is a checkpoint, a few channel values and
   * some writes, and each separate call costs a parse, a revive pass and promises. The result is
   * the same value for value. A custom serde gets one call per value, as it expects.
   */
  async loadMany(parts: readonly Serialised[]): Promise<unknown[]> {
    const json = this.#default ? parts.flatMap((p, i) => (p.type === "json" ? [i] : [])) : [];
    const out = new Array<unknown>(parts.length);
    let read = 0;
    if (json.length > 1) {
      const joined: Buffer[] = [JSON_OPEN];
      json.forEach((i, k) => joined.push(...(k > 0 ? [JSON_COMMA] : []), parts[i]!.bytes));
      joined.push(JSON_CLOSE);
      let values: unknown[] | undefined;
      try {
        values = (await this.#readJson(Buffer.concat(joined))) as unknown[];
      } catch {
        values = undefined; // deserialise one by one below, to name the value that fails
      }
      if (Array.isArray(values) && values.length === json.length) {
        json.forEach((i, k) => (out[i] = values[k]));
        read = json.length;
      }
    }
    // The rest one by one (no promise per value when the joined read had them all: the usual tuple).
    if (read < parts.length) {
      await Promise.all(
        parts.map(async (p, i) => {
          if (!(i in out)) out[i] = await this.loadTyped(p.type, p.bytes, p.what);
        }),
      );
    }
    return out;
  }

  /**
   * The bytes LangGraph's own serde would write for plain data and LangChain messages, built
   * without it where src/threads/json-dump.ts can (a message in about a third of the time);
   * undefined for the serde to write. Only once `#writer` says the serde is one it agrees with.
   */
  #writeJson(value: unknown): Uint8Array | undefined {
    try {
      return dumpJson(value);
    } catch {
      return undefined; // a getter that throws, say: the serde writes what it writes for it
    }
  }

  /**
   * JSON through the serde; with LangGraph's own serde, what it would return, built without it
   * where src/threads/json-load.ts can (messages and plain JSON: about a tenth of the time).
   */
  async #readJson(bytes: Buffer): Promise<unknown> {
    // Whether the reader agrees with the serde is known after the first read: not awaited again.
    if (this.#default && (this.#reader ??= await agrees(this.serde))) {
      const fast = loadJson(bytes);
      if (fast !== undefined) return fast.value;
    }
    return this.serde.loadsTyped("json", new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  private async loadTyped(type: string, bytes: Buffer, what: string): Promise<unknown> {
    try {
      if (type === "json") return await this.#readJson(bytes);
      return await this.serde.loadsTyped(type, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      throw new SerializationError(`could not deserialise ${what}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/**
 * The elements of a packed JSON list (packParts `["json", "[e1,e2,...]"]`, as blobValue builds
 * it), as views of `packed`: split at the commas outside strings, objects and arrays. Undefined
 * when it is not such a value. UTF-8 never uses bytes under 0x80 inside a multi-byte character, so
 * scanning bytes for `"`, `\` and the brackets is exact.
 */
export function splitJsonList(packed: Buffer): Buffer[] | undefined {
  let parts: Buffer[];
  try {
    parts = unpackParts(packed);
  } catch {
    return undefined;
  }
  if (parts.length !== 2 || parts[0]!.toString("latin1") !== "json") return undefined;
  const json = parts[1]!;
  const end = json.length - 1;
  if (json[0] !== 0x5b || json[end] !== 0x5d) return undefined;
  if (end === 1) return [];
  const out: Buffer[] = [];
  let depth = 0;
  let start = 1;
  for (let i = 1; i < end; i++) {
    const c = json[i]!;
    if (c === QUOTE) {
      // To the closing quote: the next quote not escaped by an odd run of backslashes.
      for (;;) {
        i = json.indexOf(QUOTE, i + 1);
        if (i < 0 || i >= end) return undefined;
        let backslashes = 0;
        while (json[i - 1 - backslashes] === BACKSLASH) backslashes++;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === COMMA && depth === 0) {
      if (i === start) return undefined;
      out.push(json.subarray(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0 || start >= end) return undefined;
  out.push(json.subarray(start, end));
  return out;
}
