import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Tests run inside workerd (the Workers runtime) against a real Postgres reached through the Neon driver
// and the local proxy; test/global-setup.ts starts both and provide()s their addresses, which the options
// callback (it runs after globalSetup) passes in as bindings.
export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "test",
          DATABASE_URL: inject("databaseUrl"),
          NEON_WS_PROXY: inject("neonWsProxy"),
          OWNER_DATABASE_URL: inject("ownerDatabaseUrl"),
          JWT_SECRET: "test-only-jwt-secret-0123456789abcdef-0123456789",
          WEBHOOK_AUTH_KEY: "test-only-webhook-auth-key-0123456789abcdef",
          ALLOW_LOOPBACK_WEBHOOKS: "true",
          LOG_REQUESTS: "false",
        },
      },
    })),
  ],
  test: {
    // CI (.ci/run) collects a JSON report per suite to print its "N passed, N failed" line
    reporters: process.env.VITEST_REPORT_DIR
      ? [
          "default",
          [
            "json",
            { outputFile: `${process.env.VITEST_REPORT_DIR}/${process.env.VITEST_REPORT_NAME ?? "worker"}.json` },
          ],
        ]
      : ["default"],
    globalSetup: ["./test/global-setup.ts"],
    include: [
      "common/**/*.test.ts",
      "worker/**/*.test.ts",
      "durable-objects/**/*.test.ts",
      "protocol/**/*.test.ts",
      "test/**/*.test.ts",
      "sdk/**/*.test.ts",
    ],
    // a suite of its own (npm run test:conformance)
    exclude: ["test/conformance/**", "**/node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
