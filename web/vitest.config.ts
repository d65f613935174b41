// Unit tests of the UI's API client, socket and stores (`npm run test:web`). They need no DOM: the stores
// are plain Solid reactive code, run with the browser build of solid-js so signals are live.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: { conditions: ["browser", "development"] },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
    // CI (.ci/run) sums the JSON reports of every suite into its "N passed, N failed" line
    reporters: process.env.VITEST_REPORT_DIR
      ? ["default", ["json", { outputFile: `${process.env.VITEST_REPORT_DIR}/web.json` }]]
      : ["default"],
  },
});
