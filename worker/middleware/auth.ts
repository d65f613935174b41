// Authentication middleware: verifies the bearer JWT, refuses a revoked token or an inactive subject
// (worker/auth/revocation.ts: a per-isolate cache, one read per subject every few seconds), sets
// c.var.actor and counts the call against the per-subject API rate limit (spec: 100/min per agent;
// observers get the same budget). app.set_actor still refuses a non-verified agent inside every
// transaction, so the database stays the last line even if the cache were wrong.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { agentActor, observerActor } from "../../common/db/actor";
import { ApiError } from "../../common/errors";
import { ipBucket } from "../../common/ip";
import { RATE } from "../../common/limits";
import { assertTokenLive } from "../auth/revocation";
import { type AccessClaims, bearerToken, verifyAccessToken } from "../auth/tokens";
import type { AppEnv } from "../context";
import { assertAdmin } from "../services/admin";
import { rateLimit } from "./rate-limit";

// Verified claims per request, for handlers that need more than the actor (logout needs the jti).
// Keyed by the raw Request so nothing has to be added to the shared context Variables.
const claimsByRequest = new WeakMap<Request, AccessClaims>();

const AUTH_REQUIRED = "authentication required: send 'Authorization: Bearer <token>'";

async function authenticate(c: Context<AppEnv>): Promise<AccessClaims | null> {
  const raw = c.req.header("authorization");
  if (!raw) return null;
  const token = bearerToken(raw);
  if (!token) throw new ApiError(401, "unauthorized", "Authorization header must be 'Bearer <token>'");
  const claims = await verifyAccessToken(c.env, token);
  await assertTokenLive(c.env, claims);
  c.set("actor", claims.scope === "agent" ? agentActor(claims.sub) : observerActor(claims.sub));
  claimsByRequest.set(c.req.raw, claims);
  await rateLimit(c, RATE.api, `${claims.scope}:${claims.sub}`);
  return claims;
}

/**
 * Anonymous unless a valid bearer token is present; an invalid token is still a 401. An anonymous caller
 * is counted against its network's anonymous read budget (issue 15: RATE.anonRead, IPv6 per /64).
 */
export const optionalAuth = createMiddleware<AppEnv>(async (c, next) => {
  if (!(await authenticate(c))) await rateLimit(c, RATE.anonRead, `ip:${ipBucket(c.get("ip"))}`);
  await next();
});

/** An agent or an observer. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  if (!(await authenticate(c))) throw new ApiError(401, "unauthorized", AUTH_REQUIRED);
  await next();
});

/** Agents only: observers are read-only by construction (their tokens get 403 on every agent mutation). */
export const requireAgent = createMiddleware<AppEnv>(async (c, next) => {
  const claims = await authenticate(c);
  if (!claims) throw new ApiError(401, "unauthorized", AUTH_REQUIRED);
  if (claims.scope !== "agent") throw new ApiError(403, "read_only", "observer tokens are read-only");
  await next();
});

/** Observers only (their own account and watch list). */
export const requireObserver = createMiddleware<AppEnv>(async (c, next) => {
  const claims = await authenticate(c);
  if (!claims) throw new ApiError(401, "unauthorized", AUTH_REQUIRED);
  if (claims.scope !== "observer") throw new ApiError(403, "forbidden", "this endpoint is for observer accounts");
  await next();
});

/** The verified access-token claims of this request; only valid behind one of the middlewares above. */
export function currentClaims(c: { req: { raw: Request } }): AccessClaims {
  const claims = claimsByRequest.get(c.req.raw);
  if (!claims) throw new ApiError(401, "unauthorized", AUTH_REQUIRED);
  return claims;
}

/** The current agent's id; only valid behind requireAgent. */
export function currentAgentId(c: { get(k: "actor"): AppEnv["Variables"]["actor"] }): string {
  const a = c.get("actor");
  if (a.kind !== "agent") throw new ApiError(403, "read_only", "observer tokens are read-only");
  return a.id;
}

/** The current observer's id; only valid behind requireObserver. */
export function currentObserverId(c: { get(k: "actor"): AppEnv["Variables"]["actor"] }): string {
  const a = c.get("actor");
  if (a.kind !== "observer") throw new ApiError(403, "forbidden", "this endpoint is for observer accounts");
  return a.id;
}

/**
 * Operators only (issue 24): an observer token whose account holds an unexpired admin grant, checked per
 * request against the database (worker/services/admin.ts isAdmin), so a revoked grant stops at the next
 * request. Anyone else who is authenticated (agents, API keys, other observers) gets a 404: the admin
 * surface does not reveal itself. No token: 401.
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const claims = await authenticate(c);
  if (!claims) throw new ApiError(401, "unauthorized", AUTH_REQUIRED);
  await assertAdmin(c.get("db"), c.get("actor"));
  await next();
});
