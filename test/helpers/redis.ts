// Per-test Redis access: every test works under its own random prefix and removes its keys.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { RedisSaver, type RedisSaverOptions } from "../../src/index.js";

export function redisUrl(): string {
  return inject("redisUrl");
}

export function newClient(): Redis {
  return new Redis(redisUrl());
}

export function randomPrefix(label = "t"): string {
  return `lgtest-${label}-${randomBytes(6).toString("hex")}`;
}

/** Every key under a prefix. Tests may scan; the library never does. */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}:*`;
  let cursor = "0";
  do {
    const [next, batch] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== "0");
  return found;
}

export async function removePrefix(client: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  for (let i = 0; i < keys.length; i += 500) await client.unlink(...keys.slice(i, i + 500));
}

/** A saver on its own client and prefix; `cleanup` removes its keys and closes the client. */
export function testSaver(options: Partial<RedisSaverOptions> = {}): { saver: RedisSaver; client: Redis; prefix: string; cleanup: () => Promise<void> } {
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
