/**
 * The one internal handle between the layers: what a RedisSaver gives the conversation layer and
 * the inspector (its threads and indexes), without their reaching into the saver's fields. Kept
 * in a registry rather than on the saver, so that the saver's public surface is LangGraph's
 * contract and its documented options only.
 */
import type { Indexes } from "./indexes.js";
import type { Threads } from "./threads/threads.js";

export interface SaverInternals {
  threads: Threads;
  indexes: Indexes;
}

const registry = new WeakMap<object, SaverInternals>();

/** @internal */
export function registerInternals(saver: object, internals: SaverInternals): void {
  registry.set(saver, internals);
}

/** The internals of a RedisSaver; undefined for anything else. @internal */
export function internalsOf(saver: unknown): SaverInternals | undefined {
  return typeof saver === "object" && saver !== null ? registry.get(saver) : undefined;
}
