// Rate limits at the REST front door: `rateLimit` counts a hit for a key and puts the X-RateLimit-*
// headers on the answer (services/rate-limit.ts decides; a refusal is thrown as a 429 carrying them).
// Per-IP limits for the unauthenticated boundaries (registration, login, refresh) are route middleware,
// so they run before body validation: malformed attempts count too, and probing is not free.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../../common/errors";
import { ipBucket } from "../../common/ip";
import type { RateRule } from "../../common/limits";
import { type AppEnv, runAfter } from "../context";
import { enforceRate, refundRate } from "../services/rate-limit";

/** Count a hit of `rule` for `key`; sets the X-RateLimit-* headers, throws the 429 when over. */
export async function rateLimit(c: Context<AppEnv>, rule: RateRule, key: string): Promise<void> {
  let headers: Record<string, string>;
  try {
    headers = await enforceRate(c.env, rule, key);
  } catch (e) {
    // issue 19: an agent's refusals are counted by its hub for its owner's console
    const actor = c.get("actor");
    if (e instanceof ApiError && e.status === 429 && actor?.kind === "agent") {
      runAfter(
        c,
        "refusal count",
        c.env.AGENT_HUB.get(c.env.AGENT_HUB.idFromName(actor.id)).count("rate_limit_refusals"),
      );
    }
    throw e;
  }
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
}

/**
 * Key: CF-Connecting-IP, which Cloudflare always sets in production, as its ipBucket (IPv6: the /64).
 * Without it (local tools calling the dev server directly) every caller shares the "unknown" bucket,
 * which is the conservative choice.
 */
export const rateLimitByIp = (rule: RateRule) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await rateLimit(c, rule, `ip:${ipBucket(c.get("ip"))}`);
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
    const key = `ip:${ipBucket(c.get("ip"))}`;
    await rateLimit(c, rule, key);
    let ok = false;
    try {
      await next();
      ok = c.res.status < 400 && !c.error;
    } finally {
      // awaited (not waitUntil): the next attempt must already see the budget given back
      if (!ok) await refundRate(c.env, rule, key).catch(() => undefined);
    }
  });
