/**
 * The serialised bytes of list elements, kept per element object, so that a put does not
 * serialise again the messages an earlier put already did. A conversation's `messages` list is a
 * new array at every step, but its elements are the same objects (messagesStateReducer keeps
 * them), and serialising a LangChain message costs some 10 µs: at 240 messages, most of a put.
 *
 * An entry is reused only if the element still holds exactly what it held when it was
 * serialised, and that is checked at every use, not assumed: each entry keeps a shape of the
 * element, the prototype and every enumerable key and value of each object it reaches (objects
 * by identity, walked again), and a use walks the element and compares (about 0.4 µs for a
 * message, twice that when the messages are not in the CPU's caches). The list cache
 * (src/threads/lists.ts) keeps the shapes of the last list of each channel by place, so that a
 * put finds most of its elements without a lookup here (Serde.dumpElements); the check is the
 * same. Only objects whose serialisation is a function of exactly that are cached: arrays,
 * plain objects, and LangChain's own message classes (their toJSON reads the instance's own data
 * properties and constant class getters). Anything else reached (a Date, a Map, a class
 * instance, a getter, a function) makes the element uncached: serialised at every put, as
 * before. So an element changed in place (content reassigned, a tool call pushed, a kwarg
 * added or deleted, a nested object replaced or edited) is serialised again, never stored stale
 * (test/unit/elements.test.ts holds it to that with fast-check). What the walk cannot see, and
 * this relies on not happening: an own property redefined as a getter, or a message class's
 * prototype patched, after the element was first stored.
 */
import {
  AIMessage,
  AIMessageChunk,
  ChatMessage,
  FunctionMessage,
  HumanMessage,
  RemoveMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";

/** Objects an element may reach and stay cached: see the module comment. */
const CACHEABLE = new Set<unknown>([
  Object.prototype,
  null,
  AIMessage.prototype,
  AIMessageChunk.prototype,
  ChatMessage.prototype,
  FunctionMessage.prototype,
  HumanMessage.prototype,
  RemoveMessage.prototype,
  SystemMessage.prototype,
  ToolMessage.prototype,
]);

/** Objects walked per element at most; a bigger element is not cached (its walk would cost as much as serialising it). */
const MAX_OBJECTS = 256;

/** In a shape after an object value already walked earlier in the same shape: compared by identity only. */
const WALKED = Symbol("walked");

/** What record carries along one element's walk. */
interface Walk {
  objects: Set<object>;
}

/**
 * What an element held when it was serialised, as `same` walks it: per object reached, depth
 * first, the object, its prototype, its key count (or array length), then each key and value
 * (values only for arrays). An object reached a second time (a message's `lc_kwargs` shares its
 * arrays with the message) is followed by WALKED instead of its shape: the walk that compares it
 * has compared it already, at its first place. Its first entry is the element itself, so a shape
 * vouches for one object only. Never changed once taken.
 */
export type Shape = readonly unknown[];

interface Entry {
  bytes: Buffer;
  shape: Shape;
}

export class ElementBytes {
  readonly #entries = new WeakMap<object, Entry>();

  /** The bytes `element` was serialised to and the shape it had then, if it holds what it held then. */
  entry(element: unknown): Entry | undefined {
    if (typeof element !== "object" || element === null) return undefined;
    const entry = this.#entries.get(element);
    if (entry === undefined) return undefined;
    if (holds(element, entry.shape)) return entry;
    this.#entries.delete(element);
    return undefined;
  }

  /**
   * The shape of `element`, taken just before it is serialised; undefined when it cannot be cached.
   * Taken before rather than after, so that the bytes are those of the shape: LangGraph's JSON
   * serde serialises within the call, before anything else can run.
   */
  shape(element: unknown): Shape | undefined {
    if (typeof element !== "object" || element === null) return undefined;
    const shape: unknown[] = [];
    return record(element, shape, { objects: new Set() }) ? shape : undefined;
  }

  /**
   * Remembers the bytes `element` was serialised to, if it still has the shape taken before; the
   * shape when it did.
   */
  set(element: unknown, shape: Shape | undefined, bytes: Buffer): Shape | undefined {
    if (shape === undefined || typeof element !== "object" || element === null) return undefined;
    if (!holds(element, shape)) return undefined;
    this.#entries.set(element, { bytes, shape });
    return shape;
  }

  /**
   * Remembers `bytes` for an element just deserialised from them, before anything else could
   * reach it: the stored bytes stand for the element while it holds what it holds now, as the
   * bytes of a serialisation do (the next put stores them again instead of serialising the element
   * again). The element's shape, or undefined when it cannot be cached.
   */
  adopt(element: unknown, bytes: Buffer): Shape | undefined {
    const shape = this.shape(element);
    if (shape === undefined) return undefined;
    this.#entries.set(element as object, { bytes, shape });
    return shape;
  }
}

/**
 * Whether `element` holds exactly what it held when `shape` was taken of it (and is that same
 * object): then the bytes it was serialised to then are its bytes now.
 */
export function holds(element: unknown, shape: Shape): boolean {
  return typeof element === "object" && element !== null && same(element, shape, 0) === shape.length;
}

/** Appends `value`'s shape to `shape`; false when the element cannot be cached. */
function record(value: object, shape: unknown[], walk: Walk): boolean {
  walk.objects.add(value);
  if (walk.objects.size > MAX_OBJECTS) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return false;
    shape.push(value, proto, value.length);
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      shape.push(v);
      if (!recordValue(v, shape, walk)) return false;
    }
    return true;
  }
  if (!CACHEABLE.has(proto)) return false;
  const at = shape.length;
  shape.push(value, proto, 0);
  let count = 0;
  for (const key in value) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor === undefined || !("value" in descriptor)) return false; // inherited, or a getter
    const v: unknown = descriptor.value;
    shape.push(key, v);
    count++;
    if (!recordValue(v, shape, walk)) return false;
  }
  shape[at + 2] = count;
  return true;
}

function recordValue(v: unknown, shape: unknown[], walk: Walk): boolean {
  if (typeof v === "function") return false;
  if (typeof v !== "object" || v === null) return true;
  if (walk.objects.has(v)) {
    shape.push(WALKED);
    return true;
  }
  return record(v, shape, walk);
}

/**
 * Walks `value` against the shape recorded at `i`: the index after it when every object, key
 * and value is as recorded, -1 otherwise. Same order as `record`, so keys added, removed or
 * reordered, and arrays grown or shrunk, are differences.
 */
function same(value: object, shape: Shape, i: number): number {
  if (shape[i] !== value || Object.getPrototypeOf(value) !== shape[i + 1]) return -1;
  let at = i + 3;
  if (Array.isArray(value)) {
    if (value.length !== shape[i + 2]) return -1;
    for (let k = 0; k < value.length; k++) {
      at = sameValue(value[k], shape, at);
      if (at < 0) return -1;
    }
    return at;
  }
  let count = 0;
  for (const key in value) {
    if (shape[at] !== key) return -1;
    at = sameValue((value as Record<string, unknown>)[key], shape, at + 1);
    if (at < 0) return -1;
    count++;
  }
  return count === shape[i + 2] ? at : -1;
}

/** Compares one value at `at` (and walks it when it is an object): the index after it, or -1. */
function sameValue(v: unknown, shape: Shape, at: number): number {
  const recorded = shape[at];
  if (v !== recorded && !(Number.isNaN(v) && Number.isNaN(recorded))) return -1;
  if (typeof v !== "object" || v === null) return at + 1;
  return shape[at + 1] === WALKED ? at + 2 : same(v, shape, at + 1);
}
