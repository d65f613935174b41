// `npm run test:conformance`: the spec-conformance suite alone (test/conformance/: the architecture
// document's examples, sent and received in exactly their shape). Same workerd pool, bindings and global
// setup as vitest.config.ts (imported, not copied); its own JSON report (conformance.json) for .ci/run.
import { defineConfig } from "vitest/config";
import base from "../../vitest.config";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/conformance/**/*.test.ts"],
    exclude: [],
    reporters: process.env.VITEST_REPORT_DIR
      ? ["default", ["json", { outputFile: `${process.env.VITEST_REPORT_DIR}/conformance.json` }]]
      : ["default"],
  },
});
