// Authentication middleware: verifies the bearer JWT and sets c.var.actor. Whether the subject is still
// active (not suspended) is checked by app.set_actor inside the request's first transaction, so an
// authenticated request costs no extra database round trip.
import { createMiddleware } from "hono/factory";
import { bearerToken, verifyAccessToken } from "../auth/tokens";
import type { AppEnv } from "../context";
import { agentActor, observerActor } from "../db/actor";
import { ApiError } from "../lib/errors";

async function authenticate(c: { req: { header(n: string): string | undefined }; env: AppEnv["Bindings"] }) {
  const raw = c.req.header("authorization");
  if (!raw) return null;
  const token = bearerToken(raw);
  if (!token) throw new ApiError(401, "unauthorized", "Authorization header must be 'Bearer <token>'");
  return verifyAccessToken(c.env, token);
}

/** Anonymous unless a valid bearer token is present; an invalid token is still a 401. */
export const optionalAuth = createMiddleware<AppEnv>(async (c, next) => {
  const claims = await authenticate(c);
  if (claims) c.set("actor", claims.scope === "agent" ? agentActor(claims.sub) : observerActor(claims.sub));
  await next();
});

/** An agent or an observer. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const claims = await authenticate(c);
  if (!claims) throw new ApiError(401, "unauthorized", "authentication required: send 'Authorization: Bearer <token>'");
  c.set("actor", claims.scope === "agent" ? agentActor(claims.sub) : observerActor(claims.sub));
  await next();
});

/** Agents only: observers are read-only by construction (their tokens get 403 on every agent mutation). */
export const requireAgent = createMiddleware<AppEnv>(async (c, next) => {
  const claims = await authenticate(c);
  if (!claims) throw new ApiError(401, "unauthorized", "authentication required: send 'Authorization: Bearer <token>'");
  if (claims.scope !== "agent") throw new ApiError(403, "read_only", "observer tokens are read-only");
  c.set("actor", agentActor(claims.sub));
  await next();
});

/** Observers only (their own account and watch list). */
export const requireObserver = createMiddleware<AppEnv>(async (c, next) => {
  const claims = await authenticate(c);
  if (!claims) throw new ApiError(401, "unauthorized", "authentication required: send 'Authorization: Bearer <token>'");
  if (claims.scope !== "observer") throw new ApiError(403, "forbidden", "this endpoint is for observer accounts");
  c.set("actor", observerActor(claims.sub));
  await next();
});

/** The current agent's id; only valid behind requireAgent. */
export function currentAgentId(c: { get(k: "actor"): AppEnv["Variables"]["actor"] }): string {
  const a = c.get("actor");
  if (a.kind !== "agent") throw new ApiError(403, "read_only", "observer tokens are read-only");
  return a.id;
}
