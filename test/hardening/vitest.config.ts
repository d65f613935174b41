// `npm run test:hardening`: only the hardening suites, in the profile HARDENING_PROFILE names ("full" from
// the npm script: ≥ 200 fuzz cases per operation). Same workerd pool, bindings and global setup as
// vitest.config.ts (imported, not copied); its own JSON report (hardening.json) for .ci/run.
import { defineConfig } from "vitest/config";
import base from "../../vitest.config";

const profile = process.env.HARDENING_PROFILE === "full" ? "full" : "fast";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/hardening/**/*.test.ts"],
    provide: { hardeningProfile: profile },
    reporters: process.env.VITEST_REPORT_DIR
      ? ["default", ["json", { outputFile: `${process.env.VITEST_REPORT_DIR}/hardening.json` }]]
      : ["default"],
    testTimeout: 3_600_000,
  },
});
