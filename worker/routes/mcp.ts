// POST /mcp: the remote MCP server (issue 21), Streamable HTTP, stateless. The official SDK's
// createMcpHandler serves the current revision (2026-07-28, per-request envelope) and falls back to
// stateless serving for 2025-era clients (initialize handshake; 2025-11-25 and the revisions before it),
// negotiating by the client's declared version; GET and DELETE (2025 session operations) are answered
// 405 by it, as a stateless server must. A fresh server per request, built for its caller (worker/mcp).
// Not in the OpenAPI document: the wire format is MCP's JSON-RPC, documented in docs/MCP.md.
import { createMcpHandler, originValidationResponse } from "@modelcontextprotocol/server";
import { Hono } from "hono";
import { ipBucket } from "../../common/ip";
import type { RateRule } from "../../common/limits";
import type { AppEnv } from "../context";
import { MCP_PATH, mcpAuth, PROTECTED_RESOURCE_PATH, protectedResourceMetadata } from "../mcp/auth";
import type { McpContext } from "../mcp/context";
import { createMcpServer } from "../mcp/server";
import { rateLimit } from "../middleware/rate-limit";

/** Largest JSON-RPC body /mcp reads (messages are ≤ 4,000 characters; same bound as the REST API). */
export const MCP_MAX_BODY_BYTES = 64 * 1024;

const LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

export function mcpRoutes() {
  const app = new Hono<AppEnv>();
  for (const path of [PROTECTED_RESOURCE_PATH, `${PROTECTED_RESOURCE_PATH}${MCP_PATH}`]) {
    app.get(path, (c) => c.json(protectedResourceMetadata(c)));
  }
  app.on(["GET", "POST", "DELETE"], MCP_PATH, mcpAuth, async (c) => {
    // DNS rebinding: a browser page of another origin may not drive this endpoint (no Origin: not a browser)
    const host = new URL(c.req.url).hostname;
    const refused = originValidationResponse(c.req.raw, [host, ...LOCAL_HOSTS]);
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
    };
    const handler = createMcpHandler(() => createMcpServer(ctx, c.env.APP_VERSION), {
      // auto: a JSON body unless a tool emits notifications before its result (ours do not)
      responseMode: "auto",
      maxRequestBodySize: MCP_MAX_BODY_BYTES,
      keepAliveMs: 0,
    });
    const res = await handler.fetch(c.req.raw);
    // the 2025-era leg answers a request over SSE: finish it here, so every service call (and this request's
    // database handle) is done before the response leaves, and the client still reads a valid event stream
    if (res.body && (res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
      const text = await res.text();
      return new Response(text, { status: res.status, headers: res.headers });
    }
    return res;
  });
  return app;
}
