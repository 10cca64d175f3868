// The official LangGraph checkpointer conformance suite, run whole under this saver's own name
// (the suite skips some tests for some official names; ours skips none).
import { validate, deltaChannelHistoryTests } from "@langchain/langgraph-checkpoint-validation";
import type { RedisClient } from "../src/index.js";
import { RedisSaver } from "../src/index.js";
import { newClient, randomPrefix, removePrefix } from "./helpers/redis.js";

const open = new Map<RedisSaver, { client: RedisClient; prefix: string }>();

const initializer = {
  checkpointerName: "langgraph-checkpoint-redis-tree",
  createCheckpointer(): RedisSaver {
    const client = newClient();
    const prefix = randomPrefix("conformance");
    const saver = new RedisSaver({ client, prefix });
    open.set(saver, { client, prefix });
    return saver;
  },
  async destroyCheckpointer(saver: RedisSaver): Promise<void> {
    const entry = open.get(saver);
    if (!entry) return;
    open.delete(saver);
    await removePrefix(entry.client, entry.prefix);
    await entry.client.quit();
  },
};

validate(initializer);
// Opt-in in the official package (Beta API), run here too: it walks parent chains through getTuple.
describe(initializer.checkpointerName, () => {
  deltaChannelHistoryTests(initializer);
});
