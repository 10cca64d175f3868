import type { Cluster, Redis, ChainableCommander } from "ioredis";
import { luaScripts } from "./lua/generated.js";
import { StorageError } from "./errors.js";

/** The ioredis clients this library accepts: a single node or a Cluster. */
export type RedisClient = Redis | Cluster;

type ScriptName = keyof typeof luaScripts;
type ScriptFn = (...args: Array<string | Buffer | number>) => Promise<unknown>;
type PipelineScriptFn = (...args: Array<string | Buffer | number>) => ChainableCommander;

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
  async script(operation: string, name: ScriptName, keys: string[], args: Array<string | Buffer | number>): Promise<unknown> {
    const fn = (this.client as unknown as Record<string, ScriptFn>)[`${luaScripts[name].command}Buffer`];
    if (fn === undefined) throw new StorageError(operation, new Error(`script ${name} is not defined`));
    try {
      return await fn.call(this.client, ...keys, ...args);
    } catch (err) {
      throw new StorageError(operation, err);
    }
  }

  /**
   * Runs one script on a thread's slot together with plain commands on cross-slot index keys, in
   * one round trip: a pipeline on a single node; on a Cluster (where a pipeline must stay in one
   * slot) the commands are sent at once and awaited together. The script is atomic; the index
   * commands are not atomic with it (DESIGN invariant 2), which is why readers tolerate stale
   * index entries. Returns the script's reply.
   */
  async scriptWithIndexes(
    operation: string,
    name: ScriptName,
    keys: string[],
    args: Array<string | Buffer | number>,
    indexes: (p: ChainableCommander) => void,
  ): Promise<unknown> {
    const command = `${luaScripts[name].command}Buffer`;
    try {
      if (this.client.isCluster) {
        const scriptReply = this.script(operation, name, keys, args);
        const pipeline = this.client.pipeline();
        indexes(pipeline);
        const [reply] = await Promise.all([scriptReply, execOrThrow(pipeline)]);
        return reply;
      }
      const pipeline = this.client.pipeline();
      (pipeline as unknown as Record<string, PipelineScriptFn>)[command]!.call(pipeline, ...keys, ...args);
      indexes(pipeline);
      const results = await execOrThrow(pipeline);
      return results[0];
    } catch (err) {
      throw err instanceof StorageError ? err : new StorageError(operation, err);
    }
  }
}

async function execOrThrow(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
