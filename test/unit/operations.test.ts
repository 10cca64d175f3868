// A Redis failure is a StorageError that names the operation the caller called, whichever layer
// and script ran into it. No Redis here: the client never connects and refuses every command.
import { HumanMessage } from "@langchain/core/messages";
import { emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import { Redis } from "ioredis";
import { ConversationManager, RedisSaver, isStorageError } from "../../src/index.js";

describe("StorageError names the caller's operation", () => {
  const client = new Redis({ lazyConnect: true, enableOfflineQueue: false });
  const saver = new RedisSaver({ client, prefix: "ops" });
  const manager = new ConversationManager({ saver });
  const access = { userId: "u" };
  const config = { configurable: { thread_id: "t", checkpoint_ns: "" } };
  const at = { configurable: { thread_id: "t", checkpoint_ns: "", checkpoint_id: "1" } };
  afterAll(() => client.disconnect());

  const cases: Array<[string, () => Promise<unknown>]> = [
    ["put", () => saver.put(config, { ...emptyCheckpoint(), id: "1" }, { source: "input", step: -1, parents: {} }, {})],
    ["putWrites", () => saver.putWrites(at, [["a", 1]], "task")],
    ["getTuple", () => saver.getTuple(config)],
    ["list", async () => { for await (const _ of saver.list(config)) void _; }],
    ["deleteThread", () => saver.deleteThread("t")],
    ["getDeltaChannelHistory", () => saver.getDeltaChannelHistory({ config: at, channels: ["messages"] })],
    ["createConversation", () => manager.createConversation({ userId: "u" })],
    ["getConversation", () => manager.getConversation("t", access)],
    ["listConversations", () => manager.listConversations({ userId: "u" })],
    ["updateConversation", () => manager.updateConversation("t", { title: "x" }, access)],
    ["deleteThread", () => manager.deleteConversation("t", access)],
    ["readState", () => manager.addMessage("t", new HumanMessage("hi"), access)],
    ["readState", () => manager.getMessages("t", access)],
    ["setConversationTTL", () => manager.setConversationTTL("t", 5, access)],
    ["listBranches", () => manager.listBranches("t", access)],
    ["switchBranch", () => manager.switchBranch("t", "1", access)],
    ["nameBranch", () => manager.nameBranch("t", "1", "b", access)],
    ["forkConversation", () => manager.forkConversation("t", access)],
    ["getTree", () => manager.getTree("t", access)],
    ["getTree", () => manager.exportConversation("t", access)],
    ["importConversation", () => manager.importConversation({ nodes: [{ node_id: "", message: { role: "user", content: "hi" } }], current_node_id: "" }, access)],
  ];

  it.each(cases)("%s", async (operation, call) => {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStorageError(err), String(err)).toBe(true);
    expect(err).toMatchObject({ operation });
  });
});
