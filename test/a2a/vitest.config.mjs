// `npm run test:a2a`: A2A interop with the official @a2a-js/sdk against a real `npm run dev` stack
// (issue 22; Node, sequential): the SDK as client (inbound) and as server (the outbound bridge).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/a2a/**/*.a2a.mjs"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    reporters: process.env.VITEST_REPORT_DIR
      ? ["default", ["json", { outputFile: `${process.env.VITEST_REPORT_DIR}/a2a.json` }]]
      : ["default"],
  },
});
