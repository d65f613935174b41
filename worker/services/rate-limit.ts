// Enforces a RateRule for a key through the sharded RateLimiter objects and sets the X-RateLimit-*
// headers (spec "Rate Limiting"). A refusal is a 429 with Retry-After and
// {"error": {"code": "rate_limited", "message", "retry_after"}}.
import type { Context } from "hono";
import { ApiError } from "../../common/errors";
import type { RateRule } from "../../common/limits";
import { checkRate, shardOf } from "../../common/rate";
import type { RateDecision } from "../../durable-objects/rate-limiter";
import type { AppEnv } from "../context";

// shardOf and checkRate live in common/rate.ts (the objects use them too); re-exported for callers here
export { checkRate, shardOf };

export function rateHeaders(d: RateDecision): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(d.limit),
    "X-RateLimit-Remaining": String(d.remaining),
    "X-RateLimit-Reset": String(d.resetAt),
  };
}

/** Count a hit; set headers on the response; throw a 429 ApiError when over the limit. */
export async function enforceRate(c: Context<AppEnv>, rule: RateRule, key: string): Promise<RateDecision> {
  const d = await checkRate(c.env, rule, key);
  const headers = rateHeaders(d);
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  if (!d.allowed) {
    throw new ApiError(
      429,
      "rate_limited",
      `rate limit of ${rule.limit} per ${rule.windowSeconds}s exceeded; retry in ${d.retryAfter}s`,
      { retry_after: d.retryAfter },
      { ...headers, "Retry-After": String(d.retryAfter) },
    );
  }
  return d;
}
