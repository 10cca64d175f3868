// Every example runs as a user would run it, so none can rot.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { redisUrl } from "./helpers/redis.js";

const run = promisify(execFile);

async function example(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", `examples/${name}.ts`], {
    env: { ...process.env, REDIS_URL: redisUrl() },
    timeout: 60_000,
  });
  return stdout;
}

describe("examples", () => {
  it("quickstart resumes the thread from a second connection", async () => {
    const out = await example("quickstart");
    expect(out).toContain(`human Hi, I'm Ada.`);
    expect(out).toContain(`ai    You said "Still there?". That's message #5.`);
  });
});
