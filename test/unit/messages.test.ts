// The conversation layer rebuilds a messages DeltaChannel itself (getMessages, branches, trees,
// export, the inspector): it must agree with LangGraph's own DeltaChannel(messagesDeltaReducer)
// on any history. No Redis here: a property test against LangGraph's code.
import { AIMessage, HumanMessage, RemoveMessage, coerceMessageLikeToMessage, type BaseMessage } from "@langchain/core/messages";
import { DeltaChannel, Overwrite, REMOVE_ALL_MESSAGES, messagesDeltaReducer } from "@langchain/langgraph";
import { DeltaSnapshot, type CheckpointPendingWrite } from "@langchain/langgraph-checkpoint";
import fc from "fast-check";
import { MessageReplay } from "../../src/conversations/messages.js";
import { contents } from "../helpers/graphs.js";

const ids = fc.constantFrom("a", "b", "c", "d", undefined);
const message: fc.Arbitrary<BaseMessage | Record<string, unknown>> = fc.oneof(
  fc.record({ id: ids, text: fc.constantFrom("x", "y", "z") }).map(({ id, text }) => new HumanMessage({ content: text, ...(id ? { id } : {}) })),
  fc.record({ id: ids, text: fc.constantFrom("p", "q") }).map(({ id, text }) => new AIMessage({ content: text, ...(id ? { id } : {}) })),
  fc.constantFrom("a", "b", "zz").map((id) => new RemoveMessage({ id })),
  fc.constant(new RemoveMessage({ id: REMOVE_ALL_MESSAGES })),
  // A message-like plain object, as an HTTP client sends it.
  fc.record({ id: fc.constantFrom("a", "e"), text: fc.constantFrom("m", "n") }).map(({ id, text }) => ({ role: "user", content: text, id })),
);
const write: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: message },
  { weight: 3, arbitrary: fc.array(message, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(message.filter((m) => !(m instanceof RemoveMessage)), { maxLength: 2 }).map((list) => new Overwrite(list)) },
);
const seed = fc.oneof(
  fc.constant(undefined),
  fc.array(message.filter((m) => m instanceof HumanMessage || m instanceof AIMessage), { maxLength: 3 }).map((list) => new DeltaSnapshot(list)),
  fc.array(message.filter((m) => m instanceof HumanMessage || m instanceof AIMessage), { maxLength: 3 }),
);

describe("MessageReplay", () => {
  it("rebuilds what LangGraph's DeltaChannel with messagesDeltaReducer rebuilds, for any seed and writes", () => {
    fc.assert(
      fc.property(seed, fc.array(write, { maxLength: 12 }), (start, values) => {
        const channel = new DeltaChannel(messagesDeltaReducer).fromCheckpoint(start);
        channel.replayWrites(values.map((v, i): CheckpointPendingWrite => [`task-${i}`, "messages", v]));
        // LangGraph leaves an Overwrite's message-likes as they were when nothing follows it; the
        // replay always returns messages (what getMessages promises).
        const expected = contents((channel.get() as unknown[]).map((m) => coerceMessageLikeToMessage(m as BaseMessage)));
        const replay = new MessageReplay(start);
        replay.apply(values);
        expect(contents(replay.messages())).toEqual(expected);
        expect(replay.length).toBe(expected.length);
      }),
      { numRuns: 500 },
    );
  });
});
