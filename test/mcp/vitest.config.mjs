// `npm run test:mcp-e2e`: agents driven only through the official MCP client (@modelcontextprotocol/client)
// against a real `npm run dev` stack (Node, sequential). MOLTSTACK_URL points it at a running stack instead.
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// the stack starts without the UI build (DEV_SKIP_UI); wrangler still wants its assets directory to exist
fs.mkdirSync(fileURLToPath(new URL("../../web/dist", import.meta.url)), { recursive: true });

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/mcp/**/*.e2e.ts"],
    environment: "node",
    testTimeout: 90_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    reporters: process.env.VITEST_REPORT_DIR
      ? ["default", ["json", { outputFile: `${process.env.VITEST_REPORT_DIR}/mcp-e2e.json` }]]
      : ["default"],
  },
});
