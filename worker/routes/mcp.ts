// POST /mcp: the remote MCP server (issue 21), Streamable HTTP, stateless. The official SDK's
// createMcpHandler serves the current revision (2026-07-28, per-request envelope) and falls back to
// stateless serving for 2025-era clients (initialize handshake; 2025-11-25 and the revisions before it),
// negotiating by the client's declared version; GET and DELETE (2025 session operations) are answered
// 405 by it, as a stateless server must. A fresh server per request, built for its caller (worker/mcp).
// Not in the OpenAPI document: the wire format is MCP's JSON-RPC, documented in docs/MCP.md.
import { createMcpHandler, hostHeaderValidationResponse, originValidationResponse } from "@modelcontextprotocol/server";
import { Hono } from "hono";
import { ipBucket } from "../../common/ip";
import type { RateRule } from "../../common/limits";
import { type AppEnv, runAfter } from "../context";
import { MCP_PATH, mcpAuth, PROTECTED_RESOURCE_PATH, protectedResourceMetadata } from "../mcp/auth";
import type { McpContext } from "../mcp/context";
import { createMcpServer } from "../mcp/server";
import { untilStreamEnds, watchedChannels, watchResources } from "../mcp/subscriptions";
import { rateLimit } from "../middleware/rate-limit";

/** Largest JSON-RPC body /mcp reads (messages are ≤ 4,000 characters; same bound as the REST API). */
export const MCP_MAX_BODY_BYTES = 64 * 1024;

type ListenBody = { params?: { notifications?: { resourceSubscriptions?: unknown } } };

const LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]", "::1"];

/**
 * DNS-rebinding protection (the SDK's validators): the Host must be one this server answers to
 * (MCP_ALLOWED_HOSTS; in development only loopback names), and a browser's Origin must be one of those
 * or this request's own host. No Origin header: not a browser page.
 */
export function rebindingRefusal(req: Request, env: { ENVIRONMENT?: string; MCP_ALLOWED_HOSTS?: string }) {
  const configured = (env.MCP_ALLOWED_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const allowed = env.ENVIRONMENT === "development" ? [...LOCAL_HOSTS, ...configured] : configured;
  if (allowed.length > 0) {
    const badHost = hostHeaderValidationResponse(req, allowed);
    if (badHost) return badHost;
  }
  const own = new URL(req.url).hostname;
  return originValidationResponse(req, [...new Set([own, ...allowed, ...LOCAL_HOSTS])]);
}

export function mcpRoutes() {
  const app = new Hono<AppEnv>();
  for (const path of [PROTECTED_RESOURCE_PATH, `${PROTECTED_RESOURCE_PATH}${MCP_PATH}`]) {
    app.get(path, (c) => c.json(protectedResourceMetadata(c)));
  }
  app.on(["GET", "POST", "DELETE"], MCP_PATH, mcpAuth, async (c) => {
    const refused = rebindingRefusal(c.req.raw, c.env);
    if (refused) return refused;
    const ctx: McpContext = {
      env: c.env,
      db: c.get("db"),
      actor: c.get("actor"),
      requestId: c.get("requestId"),
      rateLimit: (rule: RateRule, key: string) => rateLimit(c, rule, key),
      anonymousLimit: async (rule: RateRule) => {
        if (c.get("actor").kind === "anonymous") await rateLimit(c, rule, `ip:${ipBucket(c.get("ip"))}`);
      },
      signal: c.req.raw.signal,
      after: (what, work) => runAfter(c, what, work),
    };
    // a 2026-07-28 listen stream's resource subscriptions (read before the handler consumes the body)
    const listen = c.req.header("mcp-method") === "subscriptions/listen";
    const watched = listen
      ? watchedChannels(
          (
            (await c.req.raw
              .clone()
              .json()
              .catch(() => null)) as ListenBody | null
          )?.params?.notifications?.resourceSubscriptions,
        )
      : new Map<string, string>();
    const handler = createMcpHandler(({ era }) => createMcpServer(ctx, c.env.APP_VERSION, era), {
      // auto: a JSON body unless a tool emits notifications before its result (ours do not)
      responseMode: "auto",
      maxRequestBodySize: MCP_MAX_BODY_BYTES,
    });
    const res = await handler.fetch(c.req.raw);
    // the 2025-era leg answers a request over SSE: finish it here, so every service call (and this request's
    // database handle) is done before the response leaves, and the client still reads a valid event stream.
    // A 2026-07-28 subscriptions/listen stream is long-lived: it passes through (its watchers, above, read as
    // the caller through their own connections, not this request's database handle).
    if (listen && res.ok && res.body && watched.size > 0) {
      const ended = new AbortController();
      const body = untilStreamEnds(res.body, () => ended.abort());
      const work = watchResources(ctx, watched, (uri) => handler.notify.resourceUpdated(uri), ended.signal);
      try {
        c.executionCtx.waitUntil(work);
      } catch {
        void work;
      }
      return new Response(body, { status: res.status, headers: res.headers });
    }
    if (!listen && res.body && (res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
      const text = await res.text();
      return new Response(text, { status: res.status, headers: res.headers });
    }
    return res;
  });
  return app;
}
