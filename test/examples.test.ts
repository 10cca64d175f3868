// Every example runs as a user would run it (npx tsx examples/<name>.ts), and so does the demo, so
// none of them can rot.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { redisUrl } from "./helpers/redis.js";

const run = promisify(execFile);

async function example(file: string): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", file], { env: { ...process.env, REDIS_URL: redisUrl() }, timeout: 90_000 });
  return stdout;
}

describe("examples", () => {
  it("quickstart: a second process resumes the thread", async () => {
    const out = await example("examples/quickstart.ts");
    expect(out).toContain("process two resumed the thread:");
    expect(out).toContain("ai    Your name is Ada.");
  });

  it("human-in-the-loop: the conversation is in its owner's inbox, the pending interrupt is read back and the run resumes", async () => {
    const out = await example("examples/human-in-the-loop.ts");
    expect(out).toContain("waiting at: approve");
    expect(out).toContain('pending interrupt: {"question":"Refund order 42?"}');
    expect(out).toContain("ai    Refund sent.");
    expect(out).toContain('inbox: "Broken parcel, order 42" asks {"question":"Refund order 42?"}');
    expect(out).toContain("status now: idle");
    expect(out).toContain("inbox: 0 waiting");
  });

  it("time-travel: replay, branches, switch, fork", async () => {
    const out = await example("examples/time-travel.ts");
    expect(out).toContain("the thread now has 2 branches:");
    expect(out).toContain("human Add a day in Sintra.");
    expect(out).toMatch(/forked "Lisbon, a week" from \S+ at \S+:\n {2}human Hi, I'm Ada\. Plan a trip to Lisbon\.\n.*\n {2}human Make it a week instead\./);
  });

  it("conversations: listing with a cursor, messages, an intruder refused, export and import", async () => {
    const out = await example("examples/conversations.ts");
    expect(out).toMatch(/Refund for order 42 {2}\[billing\] {2}\(of 3\)\n {2}Damaged parcel {2}\[billing, urgent\] {2}\(of 3\)\n {2}Invoice copy/);
    expect(out).toContain("mallory reads it: null");
    expect(out).toContain("mallory writes to it: refused (NOT_FOUND)");
    expect(out).toMatch(/imported as "Refund for order 42" with 3 messages/);
  });

  it("cluster: the quickstart on a three-node cluster it starts", async () => {
    const out = await example("examples/cluster.ts");
    expect(out).toContain("started three nodes");
    expect(out.match(/ai {4}Your name is (Ada|Bob|Cy)\./g)).toHaveLength(3);
  });

  it("npm run demo: the guided tour runs every example", async () => {
    const out = await example("examples/demo.ts");
    for (const step of ["1. Quickstart", "2. Human in the loop", "3. Time travel and forks", "4. Conversations", "5. Redis Cluster"]) expect(out).toContain(`== ${step}`);
    expect(out).toContain("That was the tour.");
  });
});
