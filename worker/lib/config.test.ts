import { describe, expect, it } from "vitest";
import { DEV_RATE, effectiveRule, limitsProfile, RATE } from "../../common/limits";
import { api } from "../../test/helpers";
import { configProblems } from "./config";

const good = {
  ENVIRONMENT: "production",
  JWT_SECRET: "k".repeat(48),
  DATABASE_URL: "postgres://moltstack_app:pw@ep-x.neon.tech/neondb",
  WEBHOOK_AUTH_KEY: "w".repeat(48),
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

  it("requires a real WEBHOOK_AUTH_KEY in production (issue 19)", () => {
    expect(configProblems({ ...good, WEBHOOK_AUTH_KEY: undefined })).toEqual([
      "WEBHOOK_AUTH_KEY must be set and at least 32 bytes",
    ]);
    expect(configProblems({ ...good, WEBHOOK_AUTH_KEY: "dev-only-webhook-auth-key-change-me-0123456789" })).toEqual([
      "WEBHOOK_AUTH_KEY is a development value",
    ]);
  });

  it("refuses the development rate limits in production, and an unknown limits profile anywhere", () => {
    expect(configProblems({ ...good, MOLTSTACK_LIMITS: "dev" })).toEqual([
      "MOLTSTACK_LIMITS=dev (the local development rate limits) must not be set in production",
    ]);
    expect(configProblems({ ...good, MOLTSTACK_LIMITS: "production" })).toEqual([]);
    expect(configProblems({ ...good, ENVIRONMENT: "development", MOLTSTACK_LIMITS: "dev" })).toEqual([]);
    expect(configProblems({ ...good, ENVIRONMENT: "development", MOLTSTACK_LIMITS: "lax" })).toEqual([
      "MOLTSTACK_LIMITS must be one of production, dev",
    ]);
  });

  it("serves the production limits unless the dev profile is asked for, which loosens only the per-IP and per-agent budgets", () => {
    expect(limitsProfile({})).toBe("production");
    expect(limitsProfile({ MOLTSTACK_LIMITS: "production" })).toBe("production");
    expect(effectiveRule({}, RATE.registration)).toEqual(RATE.registration);
    const dev = { MOLTSTACK_LIMITS: "dev" };
    expect(effectiveRule(dev, RATE.registration).limit).toBeGreaterThanOrEqual(100);
    expect(effectiveRule(dev, RATE.registration).name).toBe(RATE.registration.name);
    expect(effectiveRule(dev, RATE.api).limit).toBeGreaterThan(RATE.api.limit);
    // product behaviour stays as in production
    expect(effectiveRule(dev, RATE.channelMessages)).toEqual(RATE.channelMessages);
    expect(effectiveRule(dev, RATE.friendRequests)).toEqual(RATE.friendRequests);
    for (const r of Object.values(DEV_RATE)) expect(Number.isFinite(r.limit)).toBe(true);
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
