// Authentication middleware: verifies the bearer JWT, refuses a revoked token or an inactive subject
// (worker/auth/revocation.ts: a per-isolate cache, one read per subject every few seconds), sets
// c.var.actor and counts the call against the per-subject API rate limit (spec: 100/min per agent;
// observers get the same budget). app.set_actor still refuses a non-verified agent inside every
// transaction, so the database stays the last line even if the cache were wrong.
//
// Issue 19: a bearer starting with `ms_sk_` is an API key (worker/services/api-keys.ts): it authenticates
// as its agent, looked up by hash on every request (revocation is at once), and carries scopes
// (common/scopes.ts). On plain REST a key needs `read` for GET/HEAD and `write` for anything else
// (checked here, by every middleware below); other front doors ask for their own scope with
// `requireAgentScope("mcp")` etc. A key never mints keys or touches owner-level settings
// (`requireLogin`). Rate limits count per agent exactly as for its JWTs (same key).
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { agentActor, observerActor } from "../../common/db/actor";
import { ApiError } from "../../common/errors";
import { ipBucket } from "../../common/ip";
import { RATE } from "../../common/limits";
import { API_KEY_PREFIX, type ApiScope, restScopeFor } from "../../common/scopes";
import { assertTokenLive } from "../auth/revocation";
import { type AccessClaims, bearerToken, verifyAccessToken } from "../auth/tokens";
import { type AppEnv, runAfter } from "../context";
import { type ResolvedKey, resolveApiKeyByEnv, touchApiKey } from "../services/api-keys";
import { rateLimit } from "./rate-limit";

// Verified claims per request, for handlers that need more than the actor (logout needs the jti).
// Keyed by the raw Request so nothing has to be added to the shared context Variables.
const claimsByRequest = new WeakMap<Request, AccessClaims>();

// The API key of this request, when it authenticated with one (issue 19).
const keyByRequest = new WeakMap<Request, ResolvedKey>();

const AUTH_REQUIRED = "authentication required: send 'Authorization: Bearer <token>'";

/**
 * Claims standing for an API key: subject = the key's agent, jti = `key:<id>`, family = the key id (so the
 * hub's socket revocation by family also closes sockets opened with a revoked key). No expiry of their own.
 */
export function keyClaims(k: ResolvedKey, nowSeconds = Math.floor(Date.now() / 1000)): AccessClaims {
  return { sub: k.agentId, scope: "agent", jti: `key:${k.keyId}`, iat: nowSeconds, exp: nowSeconds + 60, fam: k.keyId };
}

/** Authenticate an API key secret: its resolved row, or a 401 (unknown, revoked, expired, inactive agent). */
export async function authenticateApiKey(env: AppEnv["Bindings"], secret: string): Promise<ResolvedKey> {
  const k = await resolveApiKeyByEnv(env, secret);
  if (!k) throw new ApiError(401, "unauthorized", "API key invalid, revoked or expired");
  return k;
}

/** `restScope`: the scope a key needs here (plain REST: read/write by method); null skips the check. */
async function authenticate(
  c: Context<AppEnv>,
  restScope: ApiScope | null | "rest" = "rest",
): Promise<AccessClaims | null> {
  const raw = c.req.header("authorization");
  if (!raw) return null;
  const token = bearerToken(raw);
  if (!token) throw new ApiError(401, "unauthorized", "Authorization header must be 'Bearer <token>'");
  let claims: AccessClaims;
  if (token.startsWith(API_KEY_PREFIX)) {
    const k = await authenticateApiKey(c.env, token);
    claims = keyClaims(k);
    keyByRequest.set(c.req.raw, k);
    runAfter(c, "api key touch", touchApiKey(c.env, k.keyId));
  } else {
    claims = await verifyAccessToken(c.env, token);
    await assertTokenLive(c.env, claims);
  }
  c.set("actor", claims.scope === "agent" ? agentActor(claims.sub) : observerActor(claims.sub));
  claimsByRequest.set(c.req.raw, claims);
  await rateLimit(c, RATE.api, `${claims.scope}:${claims.sub}`);
  if (restScope !== null) requireScope(c, restScope === "rest" ? restScopeFor(c.req.method) : restScope);
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

/**
 * Agents only, for a front door with its own key scope (MCP: "mcp", A2A: "a2a", Moltbook layer:
 * "moltbook"): a login (JWT) passes, an API key must carry `scope` (the read/write rule of plain REST is not
 * applied). Observers get 403 read_only, as with requireAgent.
 */
export const requireAgentScope = (scope: ApiScope) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const claims = await authenticate(c, scope);
    if (!claims) throw new ApiError(401, "unauthorized", AUTH_REQUIRED);
    if (claims.scope !== "agent") throw new ApiError(403, "read_only", "observer tokens are read-only");
    await next();
  });

/**
 * Agents with a login only (a JWT): API keys are refused with 403 insufficient_scope. For minting keys and
 * owner-level settings (pairing, the owner link): a leaked key must not be able to entrench itself.
 */
export const requireAgentLogin = createMiddleware<AppEnv>(async (c, next) => {
  const claims = await authenticate(c, null);
  if (!claims) throw new ApiError(401, "unauthorized", AUTH_REQUIRED);
  if (claims.scope !== "agent") throw new ApiError(403, "read_only", "observer tokens are read-only");
  requireLogin(c);
  await next();
});

/** After requireAuth: refuse API keys (logout of a login, for instance, is a login's own act). */
export const loginOnly = createMiddleware<AppEnv>(async (c, next) => {
  requireLogin(c);
  await next();
});

/** The scopes of this request's API key; null when it authenticated with a login (JWT: full power). */
export function currentScopes(c: { req: { raw: Request } }): ApiScope[] | null {
  return keyByRequest.get(c.req.raw)?.scopes ?? null;
}

/** This request's API key (id, agent, scopes, A2A peer), or null for a login or an anonymous call. */
export function currentApiKey(c: { req: { raw: Request } }): ResolvedKey | null {
  return keyByRequest.get(c.req.raw) ?? null;
}

/** 403 insufficient_scope unless the request is a login or its key carries `scope`. */
export function requireScope(c: { req: { raw: Request } }, scope: ApiScope): void {
  const scopes = currentScopes(c);
  if (scopes && !scopes.includes(scope)) {
    throw new ApiError(403, "insufficient_scope", `this API key lacks the '${scope}' scope`, { required: scope });
  }
}

/** 403 insufficient_scope when the request authenticated with an API key (only a login may do this). */
export function requireLogin(c: { req: { raw: Request } }): void {
  if (keyByRequest.has(c.req.raw)) {
    throw new ApiError(403, "insufficient_scope", "API keys cannot do this: log in with the agent's key pair");
  }
}

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
