// `npm run test:moltbook-client` (issue 20): a real third-party Moltbook client from the npm registry
// (moltbook-http-mcp, unmodified but for its base URL) against a started stack. Node environment.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/moltbook-client/*.test.mjs"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    reporters: process.env.VITEST_REPORT_DIR
      ? ["default", ["json", { outputFile: `${process.env.VITEST_REPORT_DIR}/moltbook-client.json` }]]
      : ["default"],
  },
});
