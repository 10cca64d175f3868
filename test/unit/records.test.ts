// A conversation's stored record: defaults for what older records lack, and the Conversation shape.
import { customIndex, newRecord, parseRecord as parseStored, toConversation } from "../../src/conversations/records.js";
import { isStorageError } from "../../src/index.js";

const parseRecord = (raw: string) => parseStored(raw, "t1", "getConversation");
const defaults = { agentId: null, title: null, description: null, tags: [], customData: {}, createdAt: new Date(0).toISOString(), forkedFrom: null };

describe("conversation records", () => {
  it("a record written before a field existed reads with the field's default", () => {
    expect(parseRecord(JSON.stringify({ title: "t" }))).toEqual({ ...defaults, title: "t" });
  });

  it("a null field reads as its default too", () => {
    const nulls = { agentId: null, title: null, description: null, tags: null, customData: null, createdAt: null, forkedFrom: null };
    expect(parseRecord(JSON.stringify(nulls))).toEqual(defaults);
  });

  it("a record with a field of the wrong type, or not JSON, is a StorageError naming the conversation and the field", () => {
    const fail = (raw: string) => {
      try {
        parseRecord(raw);
      } catch (err) {
        return err;
      }
      throw new Error("parsed");
    };
    const wrongType = fail(JSON.stringify({ tags: "travel" }));
    expect(isStorageError(wrongType)).toBe(true);
    expect(wrongType).toMatchObject({ operation: "getConversation" });
    expect((wrongType as Error).message).toMatch(/^langgraph-checkpoint-redis-tree: getConversation failed: the stored record of conversation "t1" is malformed: tags: /);
    const notJson = fail("{not json");
    expect(isStorageError(notJson)).toBe(true);
    expect((notJson as Error).message).toContain('the stored record of conversation "t1" is not JSON');
  });

  it("a new record dedupes tags and round-trips through JSON", () => {
    const record = newRecord({ title: "x", tags: ["a", "b", "a"], customData: { n: 1 } }, null, new Date("2026-01-01T00:00:00.000Z"));
    expect(record.tags).toEqual(["a", "b"]);
    expect(parseRecord(JSON.stringify(record))).toEqual(record);
  });

  it("the activity score (µs of the Redis clock) is the conversation's updatedAt", () => {
    const c = toConversation("u", newRecord({}, null), { threadId: "t", score: "1767225600000000" });
    expect(c).toMatchObject({ threadId: "t", userId: "u", updatedAt: "2026-01-01T00:00:00.000Z", forkedFrom: null, status: "idle", interrupts: [] });
  });

  it("customData index entries are equal for equal values, whatever their key order", () => {
    const [a] = customIndex({ k: { x: 1, y: [1, "2"] } });
    const [b] = customIndex({ k: { y: [1, "2"], x: 1 } });
    expect(a).toBe(b);
    expect(a).toMatch(/^k:[0-9a-f]{40}$/);
    expect(customIndex({ k: 1 })).not.toEqual(customIndex({ k: "1" }));
    expect(customIndex({ "a:{b}": 1 })[0]).toMatch(/^a%3A%7Bb%7D:/);
  });
});
