// The published shape: `npm run build` output loads as ES module and as CommonJS, and works.
import { execFileSync } from "node:child_process";
import { redisUrl, randomPrefix } from "./helpers/redis.js";

describe("package", () => {
  beforeAll(() => {
    execFileSync(process.execPath, ["scripts/build.mjs"], { stdio: "pipe" });
  }, 120_000);

  const program = (load: string) => `
    ${load}
    const { Redis } = require("ioredis");
    const client = new Redis(${JSON.stringify(redisUrl())});
    const saver = new m.RedisSaver({ client, prefix: ${JSON.stringify(randomPrefix("pkg"))} });
    const cp = { v: 4, id: "1", ts: "", channel_values: { a: 1 }, channel_versions: { a: 1 }, versions_seen: {} };
    saver.put({ configurable: { thread_id: "p" } }, cp, { source: "input", step: -1, parents: {} }, { a: 1 })
      .then((config) => saver.getTuple(config))
      .then(async (t) => { console.log(JSON.stringify(t.checkpoint.channel_values)); await saver.deleteThread("p"); await client.quit(); });
  `;

  it("loads as CommonJS (require)", () => {
    const out = execFileSync(process.execPath, ["-e", program(`const m = require("langgraph-checkpoint-redis-tree");`)], { encoding: "utf8" });
    expect(out.trim()).toBe('{"a":1}');
  });

  it("loads as an ES module (import)", () => {
    const source = program(`const { createRequire } = await import("node:module"); const require = createRequire(process.cwd() + "/"); const m = await import("langgraph-checkpoint-redis-tree");`);
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", source], { encoding: "utf8" });
    expect(out.trim()).toBe('{"a":1}');
  });
});
