// A conversation's stored record: defaults for what older records lack, and the Conversation shape.
import { newRecord, parseRecord, toConversation } from "../../src/conversations/records.js";

describe("conversation records", () => {
  it("a record written before a field existed reads with the field's default", () => {
    expect(parseRecord(JSON.stringify({ title: "t" }))).toEqual({ agentId: null, title: "t", description: null, tags: [], customData: {}, createdAt: new Date(0).toISOString(), forkedFrom: null });
  });

  it("a new record dedupes tags and round-trips through JSON", () => {
    const record = newRecord({ title: "x", tags: ["a", "b", "a"], customData: { n: 1 } }, null, new Date("2026-01-01T00:00:00.000Z"));
    expect(record.tags).toEqual(["a", "b"]);
    expect(parseRecord(JSON.stringify(record))).toEqual(record);
  });

  it("the activity score (µs of the Redis clock) is the conversation's updatedAt", () => {
    const c = toConversation("t", "u", newRecord({}, null), "1767225600000000");
    expect(c).toMatchObject({ threadId: "t", userId: "u", updatedAt: "2026-01-01T00:00:00.000Z", forkedFrom: null });
  });
});
