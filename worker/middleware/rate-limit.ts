// Per-IP rate limits for the unauthenticated boundaries (registration, login, refresh). Mounted as route
// middleware so they run before body validation: malformed attempts count too, and probing is not free.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import type { RateRule } from "../lib/limits";
import { enforceRate, refundRate } from "../services/rate-limit";

/**
 * Key: CF-Connecting-IP, which Cloudflare always sets in production. Without it (local tools calling the
 * dev server directly) every caller shares the "unknown" bucket, which is the conservative choice.
 */
export const rateLimitByIp = (rule: RateRule) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await enforceRate(c, rule, `ip:${c.get("ip") ?? "unknown"}`);
    await next();
  });

/**
 * Per-IP limit on an attempt that creates something (agent and observer registration), where only a
 * success uses the budget (issue 16): the hit is counted up front, so concurrent attempts cannot slip past
 * the limit together, and given back when the answer is not a 2xx (bad input, a taken name, a server
 * error). A 429 is not given back: the refused hit was never within the budget. Failed attempts create no
 * rows; they cost what any unauthenticated request costs.
 */
export const rateLimitSuccessByIp = (rule: RateRule) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const key = `ip:${c.get("ip") ?? "unknown"}`;
    await enforceRate(c, rule, key);
    let ok = false;
    try {
      await next();
      ok = c.res.status < 400 && !c.error;
    } finally {
      // awaited (not waitUntil): the next attempt must already see the budget given back
      if (!ok) await refundRate(c, rule, key).catch(() => undefined);
    }
  });
