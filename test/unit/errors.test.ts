// Errors carry a code from a closed set, and the guards recognise them by brand and name, also
// when instanceof cannot (another copy of the library: the ESM and the CommonJS build).
import type {
  RedisTreeError} from "../../src/index.js";
import {
  ConversationExistsError,
  DurabilityError,
  EvictionPolicyError,
  InvalidInputError,
  NotFoundError,
  SerializationError,
  StorageError,
  isConversationExistsError,
  isDurabilityError,
  isEvictionPolicyError,
  isInvalidInputError,
  isNotFoundError,
  isRedisTreeError,
  isSerializationError,
  isStorageError,
  type ErrorCode,
} from "../../src/index.js";

describe("errors", () => {
  it("each class has its code, its name and its guard", () => {
    const cases: Array<[RedisTreeError, ErrorCode, (e: unknown) => boolean]> = [
      [new InvalidInputError("x"), "INVALID_INPUT", isInvalidInputError],
      [new NotFoundError("t", "c"), "NOT_FOUND", isNotFoundError],
      [new ConversationExistsError("t"), "CONFLICT", isConversationExistsError],
      [new StorageError("put", new Error("boom")), "STORAGE_ERROR", isStorageError],
      [new SerializationError("x", undefined), "SERIALIZATION_ERROR", isSerializationError],
      [new EvictionPolicyError("allkeys-lru", "evicts"), "EVICTION_POLICY", isEvictionPolicyError],
      [new DurabilityError("put", 0, 1, 100), "NOT_DURABLE", isDurabilityError],
    ];
    const guards = cases.map(([, , guard]) => guard);
    for (const [err, code, guard] of cases) {
      expect(err.code).toBe(code);
      expect(err.name).toBe(err.constructor.name);
      expect(err.message).toMatch(/^langgraph-checkpoint-redis-tree: /);
      expect(isRedisTreeError(err)).toBe(true);
      expect(guards.filter((g) => g(err))).toEqual([guard]);
    }
  });

  it("the guards answer false for anything else, even a look-alike", () => {
    const lookAlike = Object.assign(new Error("x"), { name: "NotFoundError", code: "NOT_FOUND" });
    for (const value of [lookAlike, new Error("x"), null, undefined, "NotFoundError", { name: "NotFoundError" }]) {
      expect(isNotFoundError(value)).toBe(false);
      expect(isRedisTreeError(value)).toBe(false);
    }
  });

  it("keeps what it wraps", () => {
    const cause = new Error("connection lost");
    const err = new StorageError("getTuple", cause);
    expect(err.cause).toBe(cause);
    expect(err.operation).toBe("getTuple");
    expect(err.message).toBe("langgraph-checkpoint-redis-tree: getTuple failed: connection lost");
    expect(new NotFoundError("x".repeat(100)).message).toContain("…");
  });
});
