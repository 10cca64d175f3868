// A process that takes a conversation's run lease and never lets go: the "killed process" of the
// status tests. Prints "held" once the run holds the lease, then waits to be killed.
// Usage: tsx test/helpers/hold-lease.ts <target JSON> <prefix> <userId> <threadId> <leaseMs>
import { Cluster, Redis } from "ioredis";
import { ConversationManager, RedisSaver } from "../../src/index.js";
import type { RedisTarget } from "./target.js";

const [targetJson, prefix, userId, threadId, leaseMs] = process.argv.slice(2) as [string, string, string, string, string];
const target = JSON.parse(targetJson) as RedisTarget;
const client = target.kind === "single" ? new Redis(target.url) : new Cluster(target.nodes);
const conversations = new ConversationManager({ saver: new RedisSaver({ client, prefix }) });
await conversations.run(threadId, { userId, leaseMs: Number(leaseMs) }, async () => {
  process.stdout.write("held\n");
  // Keeps the process alive, and the lease renewed, until the test kills it.
  await new Promise(() => setInterval(() => undefined, 1000));
});
