// `npm run demo`: a guided tour through the examples, one after the other, on one Redis (found as
// the README says, and printed). Each example also runs on its own: `npx tsx examples/<name>.ts`.
import { main as quickstart } from "./quickstart.js";
import { main as humanInTheLoop } from "./human-in-the-loop.js";
import { main as timeTravel } from "./time-travel.js";
import { main as conversations } from "./conversations.js";
import { main as cluster } from "./cluster.js";
import { exampleRedis, releaseExampleRedis } from "./lib/setup.js";

const tour: Array<[string, string, () => Promise<void>]> = [
  ["1. Quickstart", "compile a graph with RedisSaver, two turns, then a second process resumes the thread", quickstart],
  ["2. Human in the loop", "interrupt(), read the pending interrupt back, resume with Command({ resume })", humanInTheLoop],
  ["3. Time travel and forks", "replay from an older checkpoint, branches, switch, fork into a new conversation", timeTravel],
  ["4. Conversations", "owners, tags, listing with a cursor, messages, access refused, export and import", conversations],
  ["5. Redis Cluster", "the quickstart on a three-node cluster", cluster],
];

async function demo(): Promise<void> {
  console.log("langgraph-checkpoint-redis-tree: a guided tour\n");
  try {
    await exampleRedis();
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 1;
    return;
  }
  for (const [title, what, run] of tour) {
    console.log(`\n== ${title}: ${what}`);
    await run();
  }
  console.log("\nThat was the tour. Each example is a file under examples/; `npx tsx examples/<name>.ts` runs one.");
}

demo()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => releaseExampleRedis());
