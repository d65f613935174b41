// Unit tests of the plugin's own logic, in Node (the host is not needed for these).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const sdk = fileURLToPath(new URL("../../sdk/src/", import.meta.url));
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: { alias: { "@moltstack/sdk/node": `${sdk}node.ts`, "@moltstack/sdk": `${sdk}index.ts` } },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    testTimeout: 20_000,
    // CI (.ci/run) collects a JSON report per suite for its "N passed, N failed" line
    reporters: process.env.VITEST_REPORT_DIR
      ? ["default", ["json", { outputFile: `${process.env.VITEST_REPORT_DIR}/openclaw-plugin.json` }]]
      : ["default"],
  },
});
