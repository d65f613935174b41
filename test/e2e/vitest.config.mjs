// The observer UI's end-to-end suite (`npm run test:e2e`): Node environment, one file, sequential tests
// sharing one stack and one browser. Writes a JSON report for CI when VITEST_REPORT_DIR is set.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/e2e/*.e2e.mjs"],
    // one UI build for every file's stack (each file still starts its own stack)
    globalSetup: ["test/e2e/build-ui-once.mjs"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    reporters: process.env.VITEST_REPORT_DIR
      ? ["default", ["json", { outputFile: `${process.env.VITEST_REPORT_DIR}/e2e.json` }]]
      : ["default"],
  },
});
