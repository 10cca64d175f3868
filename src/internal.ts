/**
 * The one internal handle between the layers: what a RedisSaver gives the conversation layer and
 * the inspector (its threads and indexes), without their reaching into the saver's fields. Kept
 * in a registry rather than on the saver, so that the saver's public surface is LangGraph's
 * contract and its documented options only.
 *
 * The registry is shared by every copy of this library in the process (Symbol.for is global):
 * an application that loads both the ES module and the CommonJS build may give a manager of one
 * a saver of the other. Its name carries the version of this internal interface, so copies whose
 * internals differ do not see each other's savers.
 */
import type { Indexes } from "./indexes.js";
import type { Threads } from "./threads/threads.js";

export interface SaverInternals {
  threads: Threads;
  indexes: Indexes;
}

/** Bump when SaverInternals (or what Threads and Indexes offer) changes incompatibly. */
const REGISTRY = Symbol.for("langgraph-checkpoint-redis-tree.internals.v2");

const registry: WeakMap<object, SaverInternals> = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new WeakMap<object, SaverInternals>()) as WeakMap<
  object,
  SaverInternals
>;

/** @internal */
export function registerInternals(saver: object, internals: SaverInternals): void {
  registry.set(saver, internals);
}

/** The internals of a RedisSaver; undefined for anything else. @internal */
export function internalsOf(saver: unknown): SaverInternals | undefined {
  return typeof saver === "object" && saver !== null ? registry.get(saver) : undefined;
}
