// Per-IP limits for callers without a token (issue 15, "Anonymous resource consumption"): 500 anonymous
// requests from one IP to server lists, search, channel history and /stats all answered 200. Agents and
// observers are limited per subject (RATE.api, in middleware/auth.ts); anonymous callers now per IP
// (IPv6: per /64), with the same X-RateLimit-* headers and 429 + Retry-After.
import { createMiddleware } from "hono/factory";
import { ipBucket } from "../../common/ip";
import { RATE, type RateRule } from "../../common/limits";
import type { AppEnv } from "../context";
import { rateLimit } from "./rate-limit";

/** Count one hit of `rule` against the caller's network when the request carries no token. */
export const anonymousLimit = (rule: RateRule) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (c.get("actor").kind === "anonymous" && !c.req.header("authorization")) {
      await rateLimit(c, rule, `ip:${ipBucket(c.get("ip"))}`);
    }
    await next();
  });

/** Reads that take no token at all (/stats, /health). Routes behind optionalAuth are counted there. */
export const anonymousReads = anonymousLimit(RATE.anonRead);
