// The published shape: `npm run build` output loads as ES module and as CommonJS and works, and the
// inspector runs as the real binary (its shebang, its exec bit) against a real Redis.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { HumanMessage } from "@langchain/core/messages";
import { ConversationManager } from "../src/index.js";
import { approvalGraph, chatGraph, re } from "./helpers/graphs.js";
import { redisUrl, randomPrefix, testSaver } from "./helpers/redis.js";

const run = promisify(execFile);

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

  it("error guards recognise the errors of the other build when both are loaded; instanceof does not", () => {
    // One process loads the ES module and the CommonJS build: two copies of every class.
    const source = `
      const { createRequire } = await import("node:module");
      const require = createRequire(process.cwd() + "/");
      const esm = await import("langgraph-checkpoint-redis-tree");
      const cjs = require("langgraph-checkpoint-redis-tree");
      const fromCjs = new cjs.NotFoundError("t");
      console.log(JSON.stringify({
        distinct: esm.NotFoundError !== cjs.NotFoundError,
        instanceOf: fromCjs instanceof esm.NotFoundError,
        guard: esm.isNotFoundError(fromCjs),
        base: esm.isRedisTreeError(fromCjs),
        other: esm.isStorageError(fromCjs),
        code: fromCjs.code,
      }));
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", source], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ distinct: true, instanceOf: false, guard: true, base: true, other: false, code: "NOT_FOUND" });
  });

  it("a ConversationManager of one build works with a RedisSaver of the other", () => {
    const source = `
      const { createRequire } = await import("node:module");
      const require = createRequire(process.cwd() + "/");
      const esm = await import("langgraph-checkpoint-redis-tree");
      const cjs = require("langgraph-checkpoint-redis-tree");
      const { Redis } = require("ioredis");
      const client = new Redis(${JSON.stringify(redisUrl())});
      const prefix = ${JSON.stringify(randomPrefix("pkg"))};
      const manager = new esm.ConversationManager({ saver: new cjs.RedisSaver({ client, prefix }) });
      const c = await manager.createConversation({ userId: "u", metadata: { title: "mixed" } });
      const read = await manager.getConversation(c.threadId, { userId: "u" });
      await manager.deleteConversation(c.threadId, { userId: "u" });
      console.log(JSON.stringify({ title: read.title, gone: await manager.getConversation(c.threadId, { userId: "u" }) }));
      await client.quit();
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", source], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ title: "mixed", gone: null });
  });

  describe("inspector (lgtree)", () => {
    const ctx = testSaver();
    const { saver, prefix } = ctx;
    const manager = new ConversationManager({ saver });
    let threadId = "";
    let tipA = "";
    let interruptedId = "";
    afterAll(async () => {
      await ctx.cleanup();
    });

    /** Runs the built binary itself, as `npx lgtree` would. */
    const lgtree = async (...args: string[]) => {
      try {
        const { stdout, stderr } = await run("dist/esm/cli/index.js", args, { env: { ...process.env, NO_COLOR: "1" } });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };
    const at = ["--url", redisUrl(), "--prefix", prefix];

    beforeAll(async () => {
      const graph = chatGraph(saver, { kind: "ordinary", model: re });
      const c = await manager.createConversation({ userId: "ada", metadata: { title: "Trip planning", tags: ["travel"], agentId: "planner" } });
      threadId = c.threadId;
      const config = { configurable: { thread_id: threadId } };
      await graph.invoke({ messages: [new HumanMessage("Plan a trip to Lisbon.")] }, config);
      const afterFirst = (await saver.getTuple(config))!.config;
      await graph.invoke({ messages: [new HumanMessage("Make it\nthree days.")] }, config);
      tipA = (await saver.getTuple(config))!.config.configurable!.checkpoint_id as string;
      await graph.invoke({ messages: [new HumanMessage("Make it a week.")] }, afterFirst);
      await manager.nameBranch(threadId, tipA, "short", { userId: "ada" });
      await manager.createConversation({ userId: "ada", metadata: { title: "Another one" } });
      const waiting = await manager.createConversation({ userId: "ada", metadata: { title: "Needs approval" } });
      interruptedId = waiting.threadId;
      await approvalGraph(saver, { kind: "ordinary" }).invoke({ messages: [new HumanMessage("Send the invoice.")] }, { configurable: { thread_id: interruptedId } });
    });

    it("inspect draws the tree: the active branch, the other one hanging off it, names, the head", async () => {
      const { code, stdout } = await lgtree("inspect", threadId, ...at);
      expect(code).toBe(0);
      expect(stdout).toContain(`thread ${threadId}`);
      expect(stdout).toContain('conversation "Trip planning" · owner ada · agent planner · tags travel');
      expect(stdout).toContain("6 messages · 2 branches");
      const tree = stdout.split("\n\n")[1]!.trimEnd().split("\n");
      expect(tree).toEqual([
        "● user      Plan a trip to Lisbon.",
        "● assistant re: Plan a trip to Lisbon.",
        "├─○ user      Make it three days. [short]",
        "│ ○ assistant re: Make it three days.",
        "● user      Make it a week.",
        "● assistant re: Make it a week. ← head",
      ]);
      const withIds = await lgtree("inspect", threadId, ...at, "--ids");
      expect(withIds.stdout).toMatch(/re: Make it a week\. ← head [0-9a-f-]{36}/);
      const coloured = await lgtree("inspect", threadId, ...at, "--color");
      expect(coloured.stdout).toContain("\x1b[32m●\x1b[0m");
    });

    it("inspect shows every message of a DeltaChannel thread, whose checkpoints do not store them", async () => {
      const own = testSaver();
      try {
        const graph = chatGraph(own.saver);
        const config = { configurable: { thread_id: "delta-thread" } };
        for (const text of ["first", "second", "third"]) await graph.invoke({ messages: [new HumanMessage(text)] }, config);
        const { code, stdout } = await lgtree("inspect", "delta-thread", "--url", redisUrl(), "--prefix", own.prefix);
        expect(code).toBe(0);
        expect(stdout).toContain("6 messages · 1 branch");
        expect(stdout.split("\n\n")[1]!.trimEnd().split("\n")).toEqual([
          "● user      first",
          "● assistant echo first (#1)",
          "● user      second",
          "● assistant echo second (#3)",
          "● user      third",
          "● assistant echo third (#5) ← head",
        ]);
      } finally {
        await own.cleanup();
      }
    });

    it("list shows a user's conversations; stats counts threads, checkpoints and memory", async () => {
      const listed = await lgtree("list", "--user", "ada", ...at);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^last activity\s+status\s+title\s+tags\s+thread/);
      expect(listed.stdout).toMatch(/idle\s+Another one\s+-/);
      expect(listed.stdout).toMatch(/idle\s+Trip planning\s+travel\s+/);
      expect(listed.stdout).toMatch(/interrupted\s+Needs approval\s+-/);
      expect(listed.stdout).toContain("3 of 3 conversations");
      const inbox = await lgtree("list", "--user", "ada", "--status", "interrupted", ...at);
      expect(inbox.stdout).toContain("1 of 1 conversation");
      expect(inbox.stdout).not.toContain("Trip planning");
      const waiting = await lgtree("inspect", interruptedId, ...at);
      expect(waiting.stdout).toContain("status interrupted (1 pending interrupt)");
      expect(waiting.stdout).toMatch(/waiting on interrupt [0-9a-f]+: \{"question":"send it\?"\}/);
      const stats = await lgtree("stats", ...at);
      expect(stats.code).toBe(0);
      expect(stats.stdout).toMatch(/threads\s+2 \(2 with a conversation\)/);
      expect(stats.stdout).toMatch(/checkpoints\s+12\n/);
      expect(stats.stdout).toMatch(/memory\s+\d+(\.\d)? KiB/);
    });

    it("says clearly what is wrong: a wrong URL, an unknown thread, a bad argument", async () => {
      const wrongUrl = await lgtree("stats", "--url", "redis://127.0.0.1:1", "--prefix", prefix);
      expect(wrongUrl.code).toBe(1);
      expect(wrongUrl.stderr).toMatch(/^lgtree: cannot connect to redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
      const unknown = await lgtree("inspect", "no-such-thread", ...at);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe(`lgtree: no thread "no-such-thread" under prefix "${prefix}"\n`);
      for (const args of [["frobnicate"], ["list", ...at], ["inspect", ...at], ["list", "--user", "ada", "--limit", "zero", ...at], ["list", "--user", "ada", "--status", "asleep", ...at], ["stats", "--bogus"]]) {
        const bad = await lgtree(...args);
        expect(bad.code, args.join(" ")).toBe(2);
        expect(bad.stderr).toMatch(/^lgtree: .*\n\nusage: lgtree <command>/s);
      }
      const help = await lgtree("--help");
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^usage: lgtree <command>/);
    });
  });
});
