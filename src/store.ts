import type { Cluster, Redis } from "ioredis";
import { luaScripts } from "./lua/generated.js";
import { StorageError } from "./errors.js";

/** Domain failures reported by scripts (src/lua/includes/codes.lua). */
export const ScriptCode = {
  /** The thread belongs to someone else; callers answer as for a missing conversation. */
  NotOwner: -1,
  /** The thread already has a conversation. */
  Exists: -2,
  /** A compare-and-set lost: the record changed since it was read. */
  Changed: -3,
} as const;

/** The ioredis clients this library accepts: a single node or a Cluster. */
export type RedisClient = Redis | Cluster;

type ScriptName = keyof typeof luaScripts;
type ScriptFn = (...args: Array<string | Buffer | number>) => Promise<unknown>;

/**
 * The store layer: typed calls to the Lua scripts and the few plain commands, each one round trip.
 * Scripts are registered with ioredis `defineCommand`, which sends EVALSHA and falls back to EVAL
 * when the server answers NOSCRIPT (after a restart or `SCRIPT FLUSH`).
 */
export class Store {
  readonly client: RedisClient;

  constructor(client: RedisClient) {
    this.client = client;
    for (const script of Object.values(luaScripts)) {
      // Names carry a hash of the source, so an existing definition is this exact script.
      if (typeof (client as unknown as Record<string, unknown>)[script.command] !== "function") {
        client.defineCommand(script.command, { numberOfKeys: script.numberOfKeys, lua: script.lua });
      }
    }
  }

  /** Runs one script; replies come back as Buffers so serde bytes stay untouched. */
  script(operation: string, name: ScriptName, keys: string[], args: Array<string | Buffer | number>): Promise<unknown> {
    const fn = (this.client as unknown as Record<string, ScriptFn>)[`${luaScripts[name].command}Buffer`];
    if (fn === undefined) return Promise.reject(new StorageError(operation, new Error(`script ${name} is not defined`)));
    return fn.call(this.client, ...keys, ...args).catch((err: unknown) => {
      throw new StorageError(operation, missingData(err) ?? err);
    });
  }
}

/**
 * A script's report that a thread lost data it references (includes/missing.lua), as an error
 * that says so; `undefined` for any other error. Redis appends the script's sha and line.
 */
function missingData(err: unknown): Error | undefined {
  const match = err instanceof Error ? /^LGTREE_MISSING (.*?)(?: script: [0-9a-f]+, on @user_script:\d+\.)?$/s.exec(err.message) : null;
  if (!match) return undefined;
  return new Error(`the thread is missing data it references: ${match[1]} (evicted, or removed outside this library); nothing was read from it`, { cause: err });
}
