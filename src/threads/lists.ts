/**
 * What the saver remembers of the lists it stored element by element (src/lua/includes/lists.lua),
 * so that the next version of a list sends only the elements it adds: per thread, namespace and
 * channel, the list node of the last version written (or read by getTuple, which a graph run
 * does before its first put), that version's serialised elements, and the shape each element
 * object had then (src/threads/elements.ts): the next put finds its unchanged elements by place
 * (Serde.dumpElements).
 * A new version whose first elements are byte for byte that version's names its node and how
 * many it shares; a read of that version names the node too, and Redis does not send it back.
 * Bounded by the bytes it holds, oldest out first: an element's bytes plus 8 per entry of its
 * shape (which also keeps the element object alive, whose content is about as big as its bytes
 * again). An entry whose node is gone from Redis (pruned, expired, deleted elsewhere) costs one
 * resend, never a wrong list (ids are content hashes: a stored node is always the list its id
 * says).
 */
import type { Shape } from "./elements.js";

interface Entry {
  threadId: string;
  ns: string;
  node: string;
  elements: Buffer[];
  /** The shape of each element's object when it was serialised or read; none where it cannot be cached. */
  shapes: ReadonlyArray<Shape | undefined>;
  bytes: number;
}

export class ListCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Entry>();
  /** The keys of #entries by thread, so that a read or a drop finds a thread's lists without a scan. */
  readonly #byThread = new Map<string, Set<string>>();
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /**
   * The stored list `elements` starts with, as far as this process knows: the node last stored
   * (or read) for the channel and how many of its first elements `elements` shares, when it
   * shares any. A list that drops or replaces its last elements (a regenerated answer, a
   * RemoveMessage) still names the node: the script builds on what is stored of the shared part.
   */
  start(threadId: string, ns: string, channel: string, elements: readonly Buffer[]): { node: string; length: number } | undefined {
    const entry = this.#entries.get(keyOf(threadId, ns, channel));
    if (entry === undefined) return undefined;
    const shared = Math.min(entry.elements.length, elements.length);
    let i = 0;
    for (; i < shared; i++) {
      const a = entry.elements[i]!;
      const b = elements[i]!;
      if (a !== b && !a.equals(b)) break; // the same Buffer when reused from ElementBytes
    }
    return i > 0 ? { node: entry.node, length: i } : undefined;
  }

  /** The list node, elements and their objects' shapes remembered for a channel, if any. */
  known(threadId: string, ns: string, channel: string): { node: string; elements: readonly Buffer[]; shapes: ReadonlyArray<Shape | undefined> } | undefined {
    return this.#entries.get(keyOf(threadId, ns, channel));
  }

  /**
   * The lists remembered for a thread's namespace, by node: a read names them so that Redis does
   * not send back elements this process holds (includes/lists.lua list_value). The arrays are
   * never changed once remembered, so the caller may hold them across an await.
   */
  nodes(threadId: string, ns: string): Map<string, readonly Buffer[]> {
    const out = new Map<string, readonly Buffer[]>();
    for (const key of this.#byThread.get(threadId) ?? []) {
      const entry = this.#entries.get(key)!;
      if (entry.ns === ns) out.set(entry.node, entry.elements);
    }
    return out;
  }

  /** Remembers the list just stored (or read) as `node`, with its element objects' shapes. */
  remember(threadId: string, ns: string, channel: string, node: string, elements: Buffer[], shapes: ReadonlyArray<Shape | undefined> = []): void {
    const key = keyOf(threadId, ns, channel);
    // Usually the list just stored extends the one remembered with the same Buffers and shapes:
    // count only the new ones (reading each Buffer's length costs a memory access per element).
    const before = this.#entries.get(key);
    let bytes = 0;
    let from = 0;
    if (before !== undefined && before.elements.length <= elements.length) {
      while (from < before.elements.length && before.elements[from] === elements[from] && before.shapes[from] === shapes[from]) from++;
      if (from === before.elements.length) bytes = before.bytes;
      else from = 0;
    }
    for (let i = from; i < elements.length; i++) bytes += elements[i]!.byteLength + 8 * (shapes[i]?.length ?? 0);
    if (bytes > this.#maxBytes) {
      this.#forget(key);
      return;
    }
    // A list this process had: it moves to the end of the entries (the newest); the thread's set
    // of keys holds it already.
    if (before !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= before.bytes;
    } else {
      let keys = this.#byThread.get(threadId);
      if (keys === undefined) this.#byThread.set(threadId, (keys = new Set()));
      keys.add(key);
    }
    this.#entries.set(key, { threadId, ns, node, elements, shapes, bytes });
    this.#bytes += bytes;
    for (const [oldest] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#forget(oldest);
    }
  }

  /** Forgets a thread's lists (it was deleted or pruned). */
  drop(threadId: string): void {
    for (const key of this.#byThread.get(threadId) ?? []) this.#forget(key);
  }

  #forget(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    const keys = this.#byThread.get(entry.threadId)!;
    keys.delete(key);
    if (keys.size === 0) this.#byThread.delete(entry.threadId);
    this.#bytes -= entry.bytes;
  }
}

/** One key per (thread, namespace, channel): the first two length-prefixed, so no two triples share one. */
function keyOf(threadId: string, ns: string, channel: string): string {
  return `${threadId.length}:${threadId}${ns.length}:${ns}${channel}`;
}
