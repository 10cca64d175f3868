// Conversation status, runs with a lease (double-texting: reject and enqueue), and search by
// status, customData and creation, with real graphs: interrupt(), a node that throws, a long
// node, two "processes" (savers on connections of their own) and a process that is killed.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { AIMessage, HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { Annotation, Command, END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ConversationBusyError, ConversationManager, InvalidInputError, NotFoundError, RedisSaver, isConversationBusyError, type Conversation } from "../src/index.js";
import { approvalGraph, chatGraph, contents } from "./helpers/graphs.js";
import { keysOf, redisPerTest, target } from "./helpers/redis.js";

const ids = (page: { conversations: Conversation[] }) => page.conversations.map((c) => c.threadId);

/** A gate a node waits on, opened by the test. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** START → work (waits for `until`, or fails while `fail.now`) → END. */
function workGraph(saver: RedisSaver, options: { until?: Promise<void>; fail?: { now: boolean }; entered?: () => void } = {}) {
  return new StateGraph(MessagesAnnotation)
    .addNode("work", async (s) => {
      options.entered?.();
      await options.until;
      if (options.fail?.now) throw new Error("the tool is down");
      return { messages: [new AIMessage(`done: ${String(s.messages.at(-1)?.content)}`)] };
    })
    .addEdge(START, "work")
    .addEdge("work", END)
    .compile({ checkpointer: saver });
}

describe("conversation status, runs and search", () => {
  const redis = redisPerTest("status");
  const setup = () => {
    const saver = new RedisSaver({ client: redis.client, prefix: redis.prefix });
    return { saver, conversations: new ConversationManager({ saver }) };
  };
  /** A manager on a connection of its own, as another process has. */
  const otherProcess = () => new ConversationManager({ saver: redis.otherSaver() });

  it("follows interrupt() and its resume: interrupted with the pending interrupts, then idle", async () => {
    const { saver, conversations } = setup();
    const c = await conversations.createConversation({ userId: "u1", metadata: { title: "refund" } });
    expect(c).toMatchObject({ status: "idle", interrupts: [] });
    const graph = approvalGraph(saver, { kind: "ordinary" });
    const config = { configurable: { thread_id: c.threadId } };

    await graph.invoke({ messages: [new HumanMessage("refund order 7")] }, config);
    const waiting = await conversations.getConversation(c.threadId, { userId: "u1" });
    expect(waiting?.status).toBe("interrupted");
    expect(waiting?.interrupts).toEqual([{ id: expect.any(String) as string, value: { question: "send it?" } }]);
    // The id is LangGraph's: it resumes that interrupt.
    const state = await graph.getState(config);
    expect(state.tasks.flatMap((t) => t.interrupts.map((i) => i.id))).toEqual([waiting!.interrupts[0]!.id]);
    expect(ids(await conversations.listConversations({ userId: "u1", status: "interrupted" }))).toEqual([c.threadId]);
    expect((await conversations.listConversations({ userId: "u1", status: "idle" })).total).toBe(0);

    await graph.invoke(new Command({ resume: "yes" }), config);
    const done = await conversations.getConversation(c.threadId, { userId: "u1" });
    expect(done).toMatchObject({ status: "idle", interrupts: [] });
    expect(contents((await graph.getState(config)).values.messages as BaseMessage[]).at(-1)).toBe("ai:approved: yes");
    expect(ids(await conversations.listConversations({ userId: "u1", status: "idle" }))).toEqual([c.threadId]);
    expect((await conversations.listConversations({ userId: "u1", status: "interrupted" })).total).toBe(0);
  });

  it("a node that throws makes it error; a run that succeeds makes it idle again", async () => {
    const { saver, conversations } = setup();
    const c = await conversations.createConversation({ userId: "u1" });
    const fail = { now: true };
    const graph = workGraph(saver, { fail });
    const config = { configurable: { thread_id: c.threadId } };
    await expect(graph.invoke({ messages: [new HumanMessage("go")] }, config)).rejects.toThrow("the tool is down");
    expect(await conversations.getConversation(c.threadId, { userId: "u1" })).toMatchObject({ status: "error", interrupts: [] });
    expect(ids(await conversations.listConversations({ userId: "u1", status: "error" }))).toEqual([c.threadId]);

    // Retried from where it failed (null input), it succeeds.
    fail.now = false;
    await graph.invoke(null, config);
    expect(await conversations.getConversation(c.threadId, { userId: "u1" })).toMatchObject({ status: "idle" });
    expect((await conversations.listConversations({ userId: "u1", status: "error" })).total).toBe(0);
  });

  it("a conversation created on a thread that waits on an interrupt starts interrupted", async () => {
    const { saver, conversations } = setup();
    await approvalGraph(saver, { kind: "ordinary" }).invoke({ messages: [new HumanMessage("hi")] }, { configurable: { thread_id: "existing" } });
    const c = await conversations.createConversation({ userId: "u1", threadId: "existing" });
    expect(c.status).toBe("interrupted");
    expect(c.interrupts.map((i) => i.value)).toEqual([{ question: "send it?" }]);
    expect(ids(await conversations.listConversations({ userId: "u1", status: "interrupted" }))).toEqual(["existing"]);
  });

  it.each(["ordinary", "delta"] as const)("a fork of a conversation waiting on an interrupt waits on the same one, and resumes on its own (%s messages)", async (kind) => {
    const { saver, conversations } = setup();
    const c = await conversations.createConversation({ userId: "u1" });
    const graph = approvalGraph(saver, { kind });
    await graph.invoke({ messages: [new HumanMessage("refund?")] }, { configurable: { thread_id: c.threadId } });
    const source = (await conversations.getConversation(c.threadId, { userId: "u1" }))!;
    const fork = await conversations.forkConversation(c.threadId, { userId: "u1" });
    expect(fork).toMatchObject({ status: "interrupted", interrupts: source.interrupts });
    expect((await conversations.listConversations({ userId: "u1", status: "interrupted" })).total).toBe(2);
    await graph.invoke(new Command({ resume: "on the fork" }), { configurable: { thread_id: fork.threadId } });
    expect(await conversations.getConversation(fork.threadId, { userId: "u1" })).toMatchObject({ status: "idle", interrupts: [] });
    // The fork resumed from the state it copied, through the one state reader.
    expect(contents(await conversations.getMessages(fork.threadId, { userId: "u1" }))).toEqual(["human:refund?", "ai:echo refund? (#1)", "ai:approved: on the fork"]);
    expect((await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("interrupted");
    // A fork of an idle conversation is idle.
    const idle = await conversations.createConversation({ userId: "u1" });
    await chatGraph(saver, { kind }).invoke({ messages: [new HumanMessage("hi")] }, { configurable: { thread_id: idle.threadId } });
    expect((await conversations.forkConversation(idle.threadId, { userId: "u1" })).status).toBe("idle");
  });

  it("is busy while a run holds it, and a cancelled run is neither interrupted nor failed", async () => {
    const { saver, conversations } = setup();
    const c = await conversations.createConversation({ userId: "u1" });
    const release = gate();
    const entered = gate();
    const graph = workGraph(saver, { until: release.opened, entered: entered.open });
    const running = conversations.run(c.threadId, { userId: "u1" }, (config) => graph.invoke({ messages: [new HumanMessage("long job")] }, config));
    await entered.opened;
    expect((await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("busy");
    expect(ids(await conversations.listConversations({ userId: "u1", status: "busy" }))).toEqual([c.threadId]);
    release.open();
    const result = await running;
    expect(contents(result.messages).at(-1)).toBe("ai:done: long job");
    expect((await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("idle");
    expect((await conversations.listConversations({ userId: "u1", status: "busy" })).total).toBe(0);

    // Cancelled mid-node through the run's signal.
    const never = gate();
    const inside = gate();
    const stuck = workGraph(saver, { until: never.opened, entered: inside.open });
    const controller = new AbortController();
    const cancelled = conversations.run(c.threadId, { userId: "u1", signal: controller.signal }, (config) => stuck.invoke({ messages: [new HumanMessage("cancel me")] }, config));
    await inside.opened;
    controller.abort();
    await expect(cancelled).rejects.toThrow();
    expect(await conversations.getConversation(c.threadId, { userId: "u1" })).toMatchObject({ status: "idle", interrupts: [] });
    // The lease is free again: a new run starts at once.
    await conversations.run(c.threadId, { userId: "u1" }, (config) => graph.invoke({ messages: [new HumanMessage("again")] }, config));
  });

  it("reject: a second run while one runs gets ConversationBusyError, and every accepted input is in the state", async () => {
    const { saver, conversations } = setup();
    const other = otherProcess();
    const c = await conversations.createConversation({ userId: "u1" });
    const graph = chatGraph(saver, { kind: "ordinary", model: (m) => new AIMessage(`re: ${String(m.at(-1)?.content)}`) });
    const otherGraph = chatGraph(other.saver, { kind: "ordinary", model: (m) => new AIMessage(`re: ${String(m.at(-1)?.content)}`) });

    const slow = gate();
    const busyGraph = workGraph(saver, { until: slow.opened });
    const first = conversations.run(c.threadId, { userId: "u1" }, (config) => busyGraph.invoke({ messages: [new HumanMessage("first")] }, config));
    // Wait for the lease to be taken.
    await expect.poll(async () => (await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("busy");
    const refused = await other.run(c.threadId, { userId: "u1" }, () => Promise.resolve("ran")).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ConversationBusyError);
    expect(refused).toMatchObject({ code: "CONFLICT", reason: "busy", threadId: c.threadId });
    slow.open();
    await first;

    // Two processes, 10 turns each at once: each input is either refused or in the state.
    const accepted: string[] = [];
    let rejected = 0;
    const turns = (manager: ConversationManager, g: typeof graph, name: string) =>
      Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const text = `${name}-${i}`;
          try {
            await manager.run(c.threadId, { userId: "u1", multitask: "reject" }, (config) => g.invoke({ messages: [new HumanMessage(text)] }, config));
            accepted.push(text);
          } catch (err) {
            if (!isConversationBusyError(err)) throw err;
            rejected += 1;
          }
        }),
      );
    await Promise.all([turns(conversations, graph, "a"), turns(other, otherGraph, "b")]);
    expect(rejected).toBeGreaterThan(0);
    expect(accepted.length + rejected).toBe(20);
    const messages = await conversations.getMessages(c.threadId, { userId: "u1" });
    const humans = contents(messages).filter((m) => m.startsWith("human:"));
    expect(humans.slice(1).sort()).toEqual(accepted.map((t) => `human:${t}`).sort());
    // No side branches: every run continued from the one before.
    expect(await conversations.listBranches(c.threadId, { userId: "u1" })).toHaveLength(1);
  });

  it("enqueue: two processes, 8 turns each at once, run one after the other and lose no input", async () => {
    const { saver, conversations } = setup();
    const other = otherProcess();
    const c = await conversations.createConversation({ userId: "u1" });
    const model = (m: BaseMessage[]) => new AIMessage(`re: ${String(m.at(-1)?.content)}`);
    const processes = [
      { manager: conversations, graph: chatGraph(saver, { kind: "ordinary", model }) },
      { manager: other, graph: chatGraph(other.saver, { kind: "ordinary", model }) },
    ];
    const runs = processes.flatMap(({ manager, graph }, p) =>
      Array.from({ length: 8 }, (_, i) =>
        manager.run(c.threadId, { userId: "u1", multitask: "enqueue", pollMs: 20 }, (config) => graph.invoke({ messages: [new HumanMessage(`p${p}-${i}`)] }, config)),
      ),
    );
    await Promise.all(runs);
    const messages = contents(await conversations.getMessages(c.threadId, { userId: "u1" }));
    expect(messages).toHaveLength(32);
    // Each input is answered right after it: no run saw another's input half way.
    for (let i = 0; i < 32; i += 2) {
      expect(messages[i]).toMatch(/^human:p[01]-\d$/);
      expect(messages[i + 1]).toBe(`ai:re: ${messages[i]!.slice("human:".length)}`);
    }
    expect(new Set(messages.filter((m) => m.startsWith("human:"))).size).toBe(16);
    expect(await conversations.listBranches(c.threadId, { userId: "u1" })).toHaveLength(1);
    expect((await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("idle");
  });

  it("interrupt: the running run stops at its next checkpoint, the new one runs from there, and nothing forks", async () => {
    const { saver, conversations } = setup();
    const other = otherProcess();
    const c = await conversations.createConversation({ userId: "u1" });
    // A slow job: one checkpoint per step, 40 steps of 15 ms, counting in `done`.
    const State = Annotation.Root({ ...MessagesAnnotation.spec, done: Annotation<number>({ reducer: (_, b) => b, default: () => 0 }) });
    const job = (checkpointer: RedisSaver) =>
      new StateGraph(State)
        .addNode("step", async (s) => {
          await new Promise((r) => setTimeout(r, 15));
          return { done: s.done + 1 };
        })
        .addEdge(START, "step")
        .addConditionalEdges("step", (s) => (s.done >= 40 ? END : "step"))
        .compile({ checkpointer });
    const first = conversations.run(c.threadId, { userId: "u1" }, (config) => job(saver).invoke({ messages: [new HumanMessage("start the job")] }, { ...config, recursionLimit: 100 }));
    await expect.poll(async () => ((await saver.getTuple({ configurable: { thread_id: c.threadId } }))?.checkpoint.channel_values.done as number | undefined) ?? 0, { interval: 10 }).toBeGreaterThan(3);
    // Another process sends a new message and interrupts the job.
    const second = other.run(c.threadId, { userId: "u1", multitask: "interrupt", pollMs: 10 }, (config) => job(other.saver).invoke({ messages: [new HumanMessage("actually, stop")] }, { ...config, recursionLimit: 100 }));
    await expect(first).rejects.toMatchObject({ name: "ConversationBusyError", reason: "interrupted" });
    const result = await second;
    // The second run went on from where the first stopped: the job finished once, on one branch.
    expect(result.done).toBe(40);
    expect(contents(result.messages)).toEqual(["human:start the job", "human:actually, stop"]);
    expect(await conversations.listBranches(c.threadId, { userId: "u1" })).toHaveLength(1);
    expect((await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("idle");
    // With nothing running, interrupt simply runs.
    expect(await conversations.run(c.threadId, { userId: "u1", multitask: "interrupt" }, () => Promise.resolve("ran"))).toBe("ran");
  });

  it("enqueue serves waiters in order of arrival, and a waiter that gives up leaves the line", async () => {
    const { conversations } = setup();
    const c = await conversations.createConversation({ userId: "u1" });
    const slow = gate();
    const order: string[] = [];
    const first = conversations.run(c.threadId, { userId: "u1" }, () => slow.opened);
    await expect.poll(async () => (await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("busy");
    const giveUp = new AbortController();
    const waiters = ["w1", "w2", "w3"].map((name) =>
      conversations.run(c.threadId, { userId: "u1", multitask: "enqueue", pollMs: 10, ...(name === "w2" ? { signal: giveUp.signal } : {}) }, () => {
        order.push(name);
        return Promise.resolve();
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    giveUp.abort(new Error("gave up"));
    await expect(waiters[1]).rejects.toThrow("gave up");
    slow.open();
    await first;
    await Promise.all([waiters[0], waiters[2]]);
    expect(order).toEqual(["w1", "w3"]);
  });

  it("a waiter whose process died leaves the line once it stops asking, and the runs behind it go on", async () => {
    const { conversations } = setup();
    const c = await conversations.createConversation({ userId: "u1" });
    // A waiter first in line that asked 0 ms ago and will never ask again (its process died).
    const base = keysOf(conversations.saver).threadBase(c.threadId);
    const stillAliveFor = 300;
    await redis.client.zadd(`${base}:queue`, 1, "dead-waiter");
    await redis.client.zadd(`${base}:waiting`, Date.now() + stillAliveFor, "dead-waiter");
    await expect(conversations.run(c.threadId, { userId: "u1" }, () => Promise.resolve())).rejects.toMatchObject({ reason: "busy" });
    const started = Date.now();
    expect(await conversations.run(c.threadId, { userId: "u1", multitask: "enqueue", pollMs: 20 }, () => Promise.resolve("ran"))).toBe("ran");
    expect(Date.now() - started).toBeGreaterThanOrEqual(stillAliveFor - 100);
    expect(await redis.client.zcard(`${base}:queue`)).toBe(0);
  });

  it("a killed process's lease runs out, and the conversation is free again", async () => {
    const { conversations } = setup();
    const c = await conversations.createConversation({ userId: "u1" });
    const script = fileURLToPath(new URL("./helpers/hold-lease.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify(target()), redis.prefix, "u1", c.threadId, "1000"], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await once(child.stdout, "data");
      expect((await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("busy");
      await expect(conversations.run(c.threadId, { userId: "u1" }, () => Promise.resolve("x"))).rejects.toBeInstanceOf(ConversationBusyError);
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    const killedAt = Date.now();
    // Enqueued, it runs once the dead process's lease has run out (1 s at most).
    expect(await conversations.run(c.threadId, { userId: "u1", multitask: "enqueue", pollMs: 20 }, () => Promise.resolve("ran"))).toBe("ran");
    expect(Date.now() - killedAt).toBeLessThan(3000);
    const page = await conversations.listConversations({ userId: "u1", status: "idle" });
    expect(ids(page)).toEqual([c.threadId]);
  });

  it("a run that loses its lease fails with lease-lost, and does not take the busy mark from the run after it", async () => {
    const { conversations } = setup();
    const other = otherProcess();
    const c = await conversations.createConversation({ userId: "u1" });
    const hold = gate();
    let signalled: AbortSignal | undefined;
    const first = conversations.run(c.threadId, { userId: "u1", leaseMs: 1000 }, (config) => {
      signalled = config.signal;
      return hold.opened; // ignores its signal, as a graph given no config would
    });
    await expect.poll(async () => (await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("busy");
    // The first run's lease is gone (its process stalled past leaseMs), and another run takes it.
    await redis.client.del(`${keysOf(conversations.saver).threadBase(c.threadId)}:lease`);
    const secondHolds = gate();
    const secondDone = gate();
    const second = other.run(c.threadId, { userId: "u1", leaseMs: 5000 }, async () => {
      secondHolds.open();
      await secondDone.opened;
    });
    await secondHolds.opened;
    await expect.poll(() => signalled?.aborted, { timeout: 2000 }).toBe(true);
    hold.open();
    await expect(first).rejects.toMatchObject({ name: "ConversationBusyError", reason: "lease-lost" });
    // The first run's release left the second run's mark alone.
    expect((await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("busy");
    secondDone.open();
    await second;
    expect((await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("idle");
  });

  it("a status update lost on the way is repaired when a run on the conversation ends", async () => {
    const { saver, conversations } = setup();
    const c = await conversations.createConversation({ userId: "u1" });
    await approvalGraph(saver, { kind: "ordinary" }).invoke({ messages: [new HumanMessage("q")] }, { configurable: { thread_id: c.threadId } });
    // The owner's index lost the update (a failover, a process that died between the two slots).
    const ubase = keysOf(saver).userBase("u1");
    await redis.client.hdel(`${ubase}:status`, c.threadId);
    await redis.client.hdel(`${ubase}:intr`, c.threadId);
    await redis.client.zrem(`${ubase}:by-status:interrupted`, c.threadId);
    await redis.client.zadd(`${ubase}:by-status:idle`, 0, c.threadId);
    expect((await conversations.getConversation(c.threadId, { userId: "u1" }))?.status).toBe("idle");
    await conversations.run(c.threadId, { userId: "u1" }, () => Promise.resolve());
    expect(await conversations.getConversation(c.threadId, { userId: "u1" })).toMatchObject({ status: "interrupted", interrupts: [{ value: { question: "send it?" } }] });
    expect((await conversations.listConversations({ userId: "u1", status: "interrupted" })).total).toBe(1);
  });

  it("run: bad input is refused before anything is taken; another user's conversation is not found", async () => {
    const { conversations } = setup();
    const c = await conversations.createConversation({ userId: "u1" });
    await expect(conversations.run(c.threadId, { userId: "u1", multitask: "rollback" as "reject" }, () => Promise.resolve(1))).rejects.toBeInstanceOf(InvalidInputError);
    await expect(conversations.run(c.threadId, { userId: "u1", leaseMs: 10 }, () => Promise.resolve(1))).rejects.toBeInstanceOf(InvalidInputError);
    await expect(conversations.run(c.threadId, { userId: "u1" }, "nope" as never)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(conversations.run(c.threadId, { userId: "u2" }, () => Promise.resolve(1))).rejects.toBeInstanceOf(NotFoundError);
    await expect(conversations.run("no-such-thread", { userId: "u1" }, () => Promise.resolve(1))).rejects.toBeInstanceOf(NotFoundError);
    // Nothing was taken: the owner runs at once.
    expect(await conversations.run(c.threadId, { userId: "u1" }, () => Promise.resolve(2))).toBe(2);
  });

  it("search: status, customData equality and creation order combine, page with exact totals while statuses change, and stay per user", async () => {
    const { saver, conversations } = setup();
    const made: Conversation[] = [];
    for (let i = 0; i < 12; i++) {
      made.push(
        await conversations.createConversation({
          userId: "u1",
          metadata: { title: `c${i}`, tags: i % 2 === 0 ? ["even"] : [], customData: { plan: i % 3 === 0 ? "pro" : "free", region: { zone: "eu", n: i % 2 } } },
        }),
      );
    }
    await conversations.createConversation({ userId: "u2", metadata: { customData: { plan: "pro" } } });
    const graph = approvalGraph(saver, { kind: "ordinary" });
    // c0, c3, c6, c9 are "pro"; c0, c3 and c6 wait on an interrupt.
    for (const i of [0, 3, 6]) await graph.invoke({ messages: [new HumanMessage(`q${i}`)] }, { configurable: { thread_id: made[i]!.threadId } });

    const pro = await conversations.listConversations({ userId: "u1", customData: { plan: "pro" }, sortBy: "createdAt", order: "asc" });
    expect(pro.conversations.map((c) => c.title)).toEqual(["c0", "c3", "c6", "c9"]);
    expect(pro.total).toBe(4);
    // Equal as JSON whatever the key order; a value of another type is another value.
    expect((await conversations.listConversations({ userId: "u1", customData: { region: { n: 1, zone: "eu" } } })).total).toBe(6);
    expect((await conversations.listConversations({ userId: "u1", customData: { plan: ["pro"] } })).total).toBe(0);
    // Combined with status and tags, paged by cursor with the exact total on every page.
    const first = await conversations.listConversations({ userId: "u1", customData: { plan: "pro" }, status: "interrupted", sortBy: "createdAt", limit: 2 });
    expect(first.total).toBe(3);
    expect(first.conversations.map((c) => c.title)).toEqual(["c6", "c3"]);
    expect(first.conversations.every((c) => c.status === "interrupted" && c.interrupts.length === 1)).toBe(true);
    // c6 is answered between the pages: the cursor goes on after c3.
    await graph.invoke(new Command({ resume: "ok" }), { configurable: { thread_id: made[6]!.threadId } });
    const second = await conversations.listConversations({ userId: "u1", customData: { plan: "pro" }, status: "interrupted", sortBy: "createdAt", limit: 2, cursor: first.nextCursor! });
    expect(second.conversations.map((c) => c.title)).toEqual(["c0"]);
    expect(second.total).toBe(2);
    expect(second.nextCursor).toBeNull();
    expect((await conversations.listConversations({ userId: "u1", status: "interrupted", tags: ["even"] })).conversations.map((c) => c.title)).toEqual(["c0"]);
    // By activity, the conversation just answered comes first; by creation, it keeps its place.
    expect((await conversations.listConversations({ userId: "u1", limit: 1 })).conversations[0]?.title).toBe("c6");
    expect((await conversations.listConversations({ userId: "u1", sortBy: "createdAt", limit: 1 })).conversations[0]?.title).toBe("c11");
    // The createdAt order pages with updatedAt reported as the last activity.
    const byCreation = await conversations.listConversations({ userId: "u1", sortBy: "createdAt", order: "asc", limit: 100 });
    expect(byCreation.conversations.map((c) => c.title)).toEqual(made.map((c) => c.title));
    expect(byCreation.conversations[6]!.updatedAt >= byCreation.conversations[6]!.createdAt).toBe(true);
    // customData changes move the index entries.
    await conversations.updateConversation(made[9]!.threadId, { customData: { plan: "free" } }, { userId: "u1" });
    expect((await conversations.listConversations({ userId: "u1", customData: { plan: "pro" } })).total).toBe(3);
    expect((await conversations.listConversations({ userId: "u1", customData: { plan: "free" } })).total).toBe(9);
    // Another user sees only their own.
    expect((await conversations.listConversations({ userId: "u2", customData: { plan: "pro" } })).total).toBe(1);
    expect((await conversations.listConversations({ userId: "u2", status: "interrupted" })).total).toBe(0);
    // A cursor of one filter is refused for another.
    await expect(conversations.listConversations({ userId: "u1", status: "idle", cursor: first.nextCursor! })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(conversations.listConversations({ userId: "u1", status: "waiting" as "idle" })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("the exact total of filters whose smallest index is large is counted in short steps", async () => {
    const { conversations } = setup();
    // 12,000 conversations: "a" on the even ones (6,000), "b" on those not divisible by 3 (8,000).
    for (let i = 0; i < 12_000; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, (_, j) => {
          const n = i + j;
          const tags = [...(n % 2 === 0 ? ["a"] : []), ...(n % 3 !== 0 ? ["b"] : [])];
          return conversations.createConversation({ userId: "many", metadata: { tags } });
        }),
      );
    }
    const both = await conversations.listConversations({ userId: "many", tags: ["a", "b"], limit: 5 });
    expect(both.total).toBe(4000); // even and not divisible by 3
    expect(both.conversations).toHaveLength(5);
    expect((await conversations.listConversations({ userId: "many", tags: ["a"], status: "idle" })).total).toBe(6000);
    expect((await conversations.listConversations({ userId: "many", tags: ["b"], status: "busy" })).total).toBe(0);

    // The next page reuses the total counted (one script), for as long as nothing it counted changes.
    const next = await conversations.listConversations({ userId: "many", tags: ["a", "b"], limit: 5, cursor: both.nextCursor! });
    expect(next.total).toBe(4000);
    const added = await conversations.createConversation({ userId: "many", metadata: { tags: ["b", "a"] } });
    expect((await conversations.listConversations({ userId: "many", tags: ["a", "b"] })).total).toBe(4001);
    await conversations.updateConversation(added.threadId, { tags: ["a"] }, { userId: "many" });
    expect((await conversations.listConversations({ userId: "many", tags: ["a", "b"] })).total).toBe(4000);
    // A status change moves the totals with a status filter.
    await conversations.run(added.threadId, { userId: "many" }, async () => {
      expect((await conversations.listConversations({ userId: "many", tags: ["a"], status: "idle" })).total).toBe(6000);
      expect((await conversations.listConversations({ userId: "many", tags: ["a"], status: "busy" })).total).toBe(1);
    });
    expect((await conversations.listConversations({ userId: "many", tags: ["a"], status: "idle" })).total).toBe(6001);
  });

  it("deleting a conversation removes it from the status and search indexes", async () => {
    const { saver, conversations } = setup();
    const c = await conversations.createConversation({ userId: "u1", metadata: { customData: { plan: "pro" } } });
    await approvalGraph(saver, { kind: "ordinary" }).invoke({ messages: [new HumanMessage("q")] }, { configurable: { thread_id: c.threadId } });
    expect((await conversations.listConversations({ userId: "u1", status: "interrupted", customData: { plan: "pro" } })).total).toBe(1);
    await conversations.deleteConversation(c.threadId, { userId: "u1" });
    expect((await conversations.listConversations({ userId: "u1", status: "interrupted" })).total).toBe(0);
    expect((await conversations.listConversations({ userId: "u1", customData: { plan: "pro" } })).total).toBe(0);
    expect(await redis.client.exists(`${redis.prefix}:{u:u1}:status`, `${redis.prefix}:{u:u1}:intr`, `${redis.prefix}:{u:u1}:cdk`, `${redis.prefix}:{u:u1}:by-status:interrupted`)).toBe(0);
  });
});
