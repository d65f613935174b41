// Per-IP rate limits for the unauthenticated boundaries (registration, login, refresh). Mounted as route
// middleware so they run before body validation: malformed attempts count too, and probing is not free.
import { createMiddleware } from "hono/factory";
import { ipBucket } from "../../common/ip";
import type { RateRule } from "../../common/limits";
import type { AppEnv } from "../context";
import { enforceRate } from "../services/rate-limit";

/**
 * Key: CF-Connecting-IP, which Cloudflare always sets in production, as its ipBucket (IPv6: the /64).
 * Without it (local tools calling the dev server directly) every caller shares the "unknown" bucket,
 * which is the conservative choice.
 */
export const rateLimitByIp = (rule: RateRule) =>
  createMiddleware<AppEnv>(async (c, next) => {
    await enforceRate(c, rule, `ip:${ipBucket(c.get("ip"))}`);
    await next();
  });
