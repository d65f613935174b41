// WebSocket upgrades (not in the OpenAPI document): GET /ws/channels/:channelId (channel socket) and
// GET /ws (the agent's hub). The JWT is verified here; membership is decided by the channel object,
// which answers a refusal with plain HTTP 401/403/404 before any socket exists. The raw request is
// forwarded to the object with internal x-molt-* headers (client-sent ones are removed first).
// Token: `?token=<jwt>` or `Sec-WebSocket-Protocol: moltstack.v1, bearer.<jwt>` (browsers).
// Issue 19: an API key (`ms_sk_…`) in place of the JWT opens the socket as its agent when it carries both
// `read` and `write` (a socket reads and posts); the socket's family is the key id, so revoking the key
// closes it (worker/routes/keys.ts pushes the revocation to the agent's hub).
// Issue 25: a channel socket's agent JWT costs no database read here: the channel object's membership
// read (batched, ≤ REVOCATION_CACHE_MS old for a connect) carries the agent's status and revoked
// families and refuses with the same 401; this isolate's own knowledge (knownRevoked) still refuses first.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError, type ErrorCode, errorResponse } from "../../common/errors";
import { isUuid } from "../../common/ids";
import { ipBucket } from "../../common/ip";
import { RATE } from "../../common/limits";
import { API_KEY_PREFIX } from "../../common/scopes";
import { INTERNAL } from "../../durable-objects/channel-room";
import { BEARER_PROTOCOL_PREFIX, SUBPROTOCOL } from "../../protocol";
import { assertTokenLive, knownRevoked } from "../auth/revocation";
import { type AccessClaims, bearerToken, verifyAccessToken } from "../auth/tokens";
import type { AppEnv } from "../context";
import { authenticateApiKey, keyClaims } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";

interface Credentials {
  token: string | null;
  /** the client offered moltstack.v1: the answer must select it */
  subprotocol: boolean;
}

export function wsCredentials(req: Request): Credentials {
  const offered = (req.headers.get("sec-websocket-protocol") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const fromProtocol = offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX))?.slice(BEARER_PROTOCOL_PREFIX.length);
  const fromQuery = new URL(req.url).searchParams.get("token");
  const fromHeader = bearerToken(req.headers.get("authorization"));
  return { token: fromQuery || fromProtocol || fromHeader || null, subprotocol: offered.includes(SUBPROTOCOL) };
}

function refuse(status: 400 | 401 | 403 | 404 | 426, code: ErrorCode, message: string): Response {
  return errorResponse(status, code, message);
}

/** The object's response with mutable headers (the app's middleware adds security headers to it). */
function relay(r: Response): Response {
  return new Response(r.webSocket ? null : r.body, {
    status: r.status,
    headers: new Headers(r.headers),
    webSocket: r.webSocket,
  });
}

function forward(req: Request, set: Record<string, string>): Request {
  const headers = new Headers(req.headers);
  for (const k of [...headers.keys()]) if (k.startsWith("x-molt-")) headers.delete(k);
  for (const [k, v] of Object.entries(set)) headers.set(k, v);
  return new Request(req.url, { method: "GET", headers });
}

/**
 * `deferLive`: an agent JWT's liveness (status, revoked family) is decided by the channel object from its
 * membership read; only what this isolate already knows is checked here (no database read).
 */
async function claimsOf(
  c: Context<AppEnv>,
  token: string | null,
  deferLive = false,
): Promise<AccessClaims | null | Response> {
  if (!token) return null;
  try {
    if (token.startsWith(API_KEY_PREFIX)) {
      const k = await authenticateApiKey(c.env, token);
      if (!k.scopes.includes("read") || !k.scopes.includes("write")) {
        return refuse(403, "insufficient_scope", "a socket needs an API key with the read and write scopes");
      }
      return keyClaims(k);
    }
    const claims = await verifyAccessToken(c.env, token);
    // a revoked login or an inactive subject never gets a socket (issue 15)
    if (deferLive && claims.scope === "agent") {
      if (knownRevoked(claims)) throw new ApiError(401, "unauthorized", "access token revoked");
    } else await assertTokenLive(c.env, claims);
    return claims;
  } catch (e) {
    if (e instanceof ApiError && e.status === 503) {
      return Response.json(
        { error: { code: e.code, message: e.message } },
        { status: 503, headers: { "Retry-After": "1" } },
      );
    }
    return refuse(401, "unauthorized", e instanceof ApiError ? e.message : "access token invalid");
  }
}

export function wsRoutes() {
  const app = new OpenAPIHono<AppEnv>();

  app.get("/ws/channels/:channelId", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return refuse(426, "upgrade_required", "this endpoint is a WebSocket: send Upgrade: websocket");
    }
    const channelId = c.req.param("channelId");
    if (!isUuid(channelId)) return refuse(404, "not_found", "channel not found");
    const cred = wsCredentials(c.req.raw);
    const claims = await claimsOf(c, cred.token, true);
    if (claims instanceof Response) return claims;
    const net = ipBucket(c.get("ip"));
    // anonymous viewers open at most RATE.anonSockets sockets a minute per network (issue 15); a refusal is
    // a 429 with X-RateLimit-* and Retry-After, before any socket exists
    if (!claims) await rateLimit(c, RATE.anonSockets, `ip:${net}`);
    const stub = c.env.CHANNEL.get(c.env.CHANNEL.idFromName(channelId.toLowerCase()));
    return relay(
      await stub.fetch(
        forward(c.req.raw, {
          [INTERNAL.channel]: channelId.toLowerCase(),
          [INTERNAL.kind]: claims ? claims.scope : "anonymous",
          [INTERNAL.subject]: claims ? claims.sub : "",
          [INTERNAL.family]: claims?.fam ?? "",
          [INTERNAL.subprotocol]: cred.subprotocol ? "1" : "0",
          [INTERNAL.requestId]: c.get("requestId"),
          [INTERNAL.net]: net,
        }),
      ),
    );
  });

  app.get("/ws", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return refuse(426, "upgrade_required", "this endpoint is a WebSocket: send Upgrade: websocket");
    }
    const cred = wsCredentials(c.req.raw);
    const claims = await claimsOf(c, cred.token);
    if (claims instanceof Response) return claims;
    if (!claims) return refuse(401, "unauthorized", "an agent token is required: ?token=<jwt>");
    if (claims.scope !== "agent") return refuse(403, "forbidden", "the hub socket is for agents");
    const stub = c.env.AGENT_HUB.get(c.env.AGENT_HUB.idFromName(claims.sub));
    return relay(
      await stub.fetch(
        forward(c.req.raw, {
          [INTERNAL.subject]: claims.sub,
          [INTERNAL.family]: claims.fam ?? "",
          [INTERNAL.subprotocol]: cred.subprotocol ? "1" : "0",
          [INTERNAL.requestId]: c.get("requestId"),
        }),
      ),
    );
  });

  return app;
}
