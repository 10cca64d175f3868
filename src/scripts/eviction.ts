/**
 * Whether the Redis behind a client may evict the saver's keys. A thread is many keys (its
 * nodes, values, items, indexes) that only make sense together; Redis evicting some of them
 * under memory pressure leaves a thread that reads wrong. So the saver looks at
 * `maxmemory-policy` once per client, through `INFO memory` (managed Redis services often forbid
 * `CONFIG GET`, rarely `INFO`), on every primary of a Cluster, and refuses a policy that can
 * evict its keys.
 */
import type { Cluster, Redis } from "ioredis";
import { EvictionPolicyError } from "../errors.js";

/** The policies of the primaries behind a client, asked once per client (again after a failure). */
const asked = new WeakMap<object, Promise<string[]>>();

/** The `maxmemory-policy` of each primary behind `client`. */
export function maxmemoryPolicies(client: Redis | Cluster): Promise<string[]> {
  let policies = asked.get(client);
  if (policies === undefined) {
    policies = ask(client);
    asked.set(client, policies);
    policies.catch(() => asked.delete(client));
  }
  return policies;
}

async function ask(client: Redis | Cluster): Promise<string[]> {
  const first = await client.info("memory"); // on a Cluster, this also connects and learns the slots
  if (!("nodes" in client) || typeof client.nodes !== "function") return [policyIn(first)];
  const masters = client.nodes("master");
  return masters.length === 0 ? [policyIn(first)] : Promise.all(masters.map(async (node) => policyIn(await node.info("memory"))));
}

function policyIn(info: string): string {
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? "unknown";
}

/** Throws EvictionPolicyError when `policy` may evict the saver's keys (`withTtl`: some of them have a TTL). */
export function refuseEviction(policy: string, withTtl: boolean): void {
  if (policy.startsWith("allkeys-")) throw new EvictionPolicyError(policy, "evicts any key when memory is full, a thread's keys included");
  if (withTtl && policy.startsWith("volatile-")) throw new EvictionPolicyError(policy, "evicts keys that have a TTL when memory is full, and this saver's threads have one");
}
