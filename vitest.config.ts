import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The official conformance suite calls describe/it/expect as globals.
    globals: true,
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files share one Redis; each uses its own prefix, so they may run in parallel.
    fileParallelism: true,
  },
});
