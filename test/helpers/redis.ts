// Per-test Redis access, on a single node or a Cluster as the project says: every test works under
// its own random prefix and removes its keys.
import { randomBytes } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import { afterEach, beforeEach, inject } from "vitest";
import { RedisSaver, type RedisClient, type RedisSaverOptions } from "../../src/index.js";
import { KeySpace } from "../../src/keys.js";
import type { RedisTarget } from "./target.js";

export function target(): RedisTarget {
  return inject("redisTarget");
}

export function isCluster(): boolean {
  return target().kind === "cluster";
}

/** The URL of a single-node target (tests that only make sense on one node). */
export function redisUrl(): string {
  const t = target();
  if (t.kind !== "single") throw new Error("this test needs a single Redis node");
  return t.url;
}

export function newClient(): RedisClient {
  const t = target();
  return t.kind === "single" ? new Redis(t.url) : new Cluster(t.nodes);
}

/** A saver that creates (and so closes) its own client. */
export function ownedSaver(prefix: string): RedisSaver {
  const t = target();
  return t.kind === "single" ? RedisSaver.fromUrl(t.url, { prefix }) : RedisSaver.fromCluster(t.nodes, { prefix });
}

export function randomPrefix(label = "t"): string {
  return `lgtest-${label}-${randomBytes(6).toString("hex")}`;
}

/** Every key under a prefix, from every master. Tests may scan; the library never does. */
export async function keysUnder(client: RedisClient, prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}:*`;
  const nodes: Redis[] = client instanceof Cluster ? client.nodes("master") : [client];
  const found: string[] = [];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== "0");
  }
  return found;
}

export async function removePrefix(client: RedisClient, prefix: string): Promise<void> {
  await Promise.all((await keysUnder(client, prefix)).map((key) => client.unlink(key)));
}

/** A saver on its own client and prefix; `cleanup` removes its keys and closes the client. */
export function testSaver(options: Partial<RedisSaverOptions> = {}): { saver: RedisSaver; client: RedisClient; prefix: string; cleanup: () => Promise<void> } {
  const client = newClient();
  const prefix = options.prefix ?? randomPrefix();
  const saver = new RedisSaver({ ...options, client, prefix });
  return {
    saver,
    client,
    prefix,
    cleanup: async () => {
      await removePrefix(client, prefix);
      await client.quit();
    },
  };
}

/**
 * Savers as other processes would have them: each on a connection of its own, and so with a cold
 * history cache. `close` quits every connection opened here.
 */
export class OtherProcesses {
  readonly #clients: RedisClient[] = [];

  saver(prefix: string, options: Partial<RedisSaverOptions> = {}, internal?: { walkMaxNodes?: number; step?: number }): RedisSaver {
    const client = newClient();
    this.#clients.push(client);
    return new RedisSaver({ ...options, client, prefix }, internal);
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.splice(0).map((c) => c.quit()));
  }
}

/**
 * A client and a fresh prefix for each test of the enclosing describe (this registers the hooks):
 * after each test its keys go and its connections close. `otherSaver` opens a saver on a
 * connection of its own, as another process would have.
 */
export function redisPerTest(label: string): {
  readonly client: RedisClient;
  readonly prefix: string;
  otherSaver: (options?: Partial<RedisSaverOptions>, internal?: { walkMaxNodes?: number; step?: number }) => RedisSaver;
} {
  let current: { client: RedisClient; prefix: string } | undefined;
  const others = new OtherProcesses();
  const now = () => {
    if (!current) throw new Error("redisPerTest: used outside a test");
    return current;
  };
  beforeEach(() => {
    current = { client: newClient(), prefix: randomPrefix(label) };
  });
  afterEach(async () => {
    const { client, prefix } = now();
    current = undefined;
    await removePrefix(client, prefix);
    await Promise.all([client.quit(), others.close()]);
  });
  return {
    get client() {
      return now().client;
    },
    get prefix() {
      return now().prefix;
    },
    otherSaver: (options, internal) => others.saver(now().prefix, options, internal),
  };
}

/** The keys of a saver's prefix, spelled by the library's own key builder. */
export function keysOf(saver: RedisSaver): KeySpace {
  return new KeySpace(saver.prefix);
}

/**
 * Every key under a prefix with its value (hash fields, set and sorted set members with scores)
 * and whether it expires: what "nothing was written" compares, values and not just key names.
 */
export async function snapshot(client: RedisClient, prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of (await keysUnder(client, prefix)).sort()) {
    const type = await client.type(key);
    const expires = (await client.pttl(key)) >= 0;
    if (type === "zset") out[key] = { expires, zset: await client.zrange(key, 0, -1, "WITHSCORES") };
    else if (type === "hash") out[key] = { expires, hash: await client.hgetall(key) };
    else if (type === "set") out[key] = { expires, set: (await client.smembers(key)).sort() };
    else out[key] = { expires, [type]: await client.dump(key) };
  }
  return out;
}
