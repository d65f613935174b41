// Enforces a RateRule for a key through the sharded RateLimiter objects (spec "Rate Limiting") and says
// which X-RateLimit-* headers the answer carries (the front door sets them: worker/middleware/rate-limit.ts).
// A refusal is a 429 with Retry-After and {"error": {"code": "rate_limited", "message", "retry_after"}}.
import type { Bindings } from "../../common/env";
import { ApiError } from "../../common/errors";
import { effectiveRule, type RateRule } from "../../common/limits";
import { checkRate, limiterFor, type RateDecision } from "../../common/rate";

export function rateHeaders(d: RateDecision): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(d.limit),
    "X-RateLimit-Remaining": String(d.remaining),
    "X-RateLimit-Reset": String(d.resetAt),
  };
}

/**
 * Count a hit; throw a 429 ApiError when over the limit, else return the headers the answer carries. The
 * rule is the one of the Worker's limits profile (production, or the local dev profile: common/limits.ts).
 */
export async function enforceRate(
  env: Pick<Bindings, "RATE_LIMITER" | "MOLTSTACK_LIMITS">,
  base: RateRule,
  key: string,
): Promise<Record<string, string>> {
  const rule = effectiveRule(env, base);
  const d = await checkRate(env, rule, key);
  const headers = rateHeaders(d);
  if (!d.allowed) {
    throw new ApiError(
      429,
      "rate_limited",
      `rate limit of ${rule.limit} per ${rule.windowSeconds}s exceeded; retry in ${d.retryAfter}s`,
      { retry_after: d.retryAfter },
      { ...headers, "Retry-After": String(d.retryAfter) },
    );
  }
  return headers;
}

/** Give back a hit counted by enforceRate (an attempt that turned out not to use the budget). */
export async function refundRate(
  env: Pick<Bindings, "RATE_LIMITER" | "MOLTSTACK_LIMITS">,
  base: RateRule,
  key: string,
): Promise<void> {
  const rule = effectiveRule(env, base);
  const { stub, counterKey } = limiterFor(env, rule, key);
  await stub.refund(counterKey, rule.windowSeconds);
}
