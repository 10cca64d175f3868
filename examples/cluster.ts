// The quickstart against a Redis Cluster. Uses REDIS_CLUSTER_NODES ("host:port,host:port") when set;
// otherwise starts a three-node cluster on this machine with redis-server (and stops it after).
//
//   npx tsx examples/cluster.ts
import { HumanMessage } from "@langchain/core/messages";
import { RedisSaver } from "langgraph-checkpoint-redis-tree";
import { hasRedisServer, startCluster, type RunningCluster } from "../scripts/dev/local-cluster.js";
import { chatGraph, line, runIfMain, show } from "./lib/setup.js";

export async function main(): Promise<void> {
  let nodes: Array<{ host: string; port: number }>;
  let local: RunningCluster | undefined;
  if (process.env.REDIS_CLUSTER_NODES) {
    nodes = process.env.REDIS_CLUSTER_NODES.split(",").map((hp) => {
      const [host, port] = hp.trim().split(":");
      return { host: host!, port: Number(port) };
    });
    line(`(Redis Cluster: ${process.env.REDIS_CLUSTER_NODES}, from REDIS_CLUSTER_NODES)`);
  } else if (await hasRedisServer()) {
    local = await startCluster(3);
    nodes = local.nodes;
    line(`(Redis Cluster: started three nodes on ${nodes.map((n) => n.port).join(", ")} for this example)`);
  } else {
    line("(no Redis Cluster: set REDIS_CLUSTER_NODES=host:port,... or install redis-server to start one locally)");
    return;
  }
  try {
    const saver = RedisSaver.fromCluster(nodes, { prefix: "example" });
    const threads = ["cluster-ada", "cluster-bob", "cluster-cy"].map((t) => `${t}-${Date.now()}`);
    for (const thread_id of threads) {
      const name = thread_id.split("-")[1]!;
      await chatGraph(saver).invoke({ messages: [new HumanMessage(`Hi, I'm ${name[0]!.toUpperCase()}${name.slice(1)}.`)] }, { configurable: { thread_id } });
    }
    // A second saver, its own connections: every thread resumes, wherever its slot lives.
    const again = RedisSaver.fromCluster(nodes, { prefix: "example" });
    const second = chatGraph(again);
    for (const thread_id of threads) {
      // Every key of a thread is `<prefix>:{<thread id>}:...` (README, "What it stores").
      const slot = await again.client.cluster("KEYSLOT", `example:{${thread_id}}`);
      const result = await second.invoke({ messages: [new HumanMessage("What's my name?")] }, { configurable: { thread_id } });
      line(`thread ${thread_id} (slot ${slot}):`);
      show(result.messages);
      await again.deleteThread(thread_id);
    }
    await Promise.all([saver.close(), again.close()]);
  } finally {
    await local?.stop();
  }
}

runIfMain(import.meta.url, main);
