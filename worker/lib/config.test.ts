import { describe, expect, it } from "vitest";
import { api } from "../../test/helpers";
import { configProblems } from "./config";

const good = {
  ENVIRONMENT: "production",
  JWT_SECRET: "k".repeat(48),
  DATABASE_URL: "postgres://moltstack_app:pw@ep-x.neon.tech/neondb",
};

describe("production configuration guard", () => {
  it("accepts a production configuration without development settings", () => {
    expect(configProblems(good)).toEqual([]);
  });

  it("refuses the local proxy, loopback webhooks, development secrets and local databases in production", () => {
    const problems = configProblems({
      ...good,
      NEON_WS_PROXY: "127.0.0.1:5488/v2",
      ALLOW_LOOPBACK_WEBHOOKS: "true",
      JWT_SECRET: "dev-only-jwt-secret-change-me-0123456789abcdef",
      DATABASE_URL: "postgres://moltstack_app:moltstack_app_dev@127.0.0.1:54329/moltstack",
    });
    expect(problems).toHaveLength(5);
  });

  it("refuses a short signing key in any environment", () => {
    expect(configProblems({ ...good, ENVIRONMENT: "development", JWT_SECRET: "short" })).toEqual([
      "JWT_SECRET must be set and at least 32 bytes",
    ]);
  });

  it("lets the test environment (local proxy, loopback webhooks) serve requests", async () => {
    expect((await api("GET", "/api/v1/health")).status).toBe(200);
  });
});
