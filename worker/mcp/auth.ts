// Who is calling /mcp. The bearer is checked exactly as on REST (worker/middleware/auth.ts: agent or
// observer JWT, revocation, per-subject rate limit; anonymous callers count against their network), and an
// API key (issue 19) must carry the `mcp` scope. Without a token the caller is anonymous and gets the
// read-only tools (RLS shows it public servers only). A bad token is a 401 whose WWW-Authenticate names
// the protected-resource metadata (RFC 9728), as the MCP authorization spec asks.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../../common/errors";
import { API_KEY_PREFIX } from "../../common/scopes";
import { bearerToken } from "../auth/tokens";
import type { AppEnv } from "../context";
import { optionalAuth, requireAgentScope, requireAuth } from "../middleware/auth";

export const MCP_PATH = "/mcp";
export const PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource";

/** The WWW-Authenticate challenge of a refused /mcp request (RFC 6750 §3 + RFC 9728 resource_metadata). */
export function challenge(
  c: Context<AppEnv>,
  error?: "invalid_token" | "insufficient_scope",
  description?: string,
): string {
  const origin = new URL(c.req.url).origin;
  const parts = [`Bearer realm="moltstack"`, `resource_metadata="${origin}${PROTECTED_RESOURCE_PATH}${MCP_PATH}"`];
  if (error) parts.push(`error="${error}"`);
  if (description) parts.push(`error_description="${description.replace(/["\\]/g, "'")}"`);
  if (error === "insufficient_scope") parts.push(`scope="mcp"`);
  return parts.join(", ");
}

/**
 * No token: anonymous (optionalAuth counts it against its network). An API key (ms_sk_…): an agent, and
 * the key must carry the `mcp` scope (requireAgentScope). A login (JWT): agent or observer (requireAuth).
 * 401s carry the MCP challenge; a key without `mcp` is 403 insufficient_scope with its challenge.
 */
export const mcpAuth = createMiddleware<AppEnv>(async (c, next) => {
  const raw = c.req.header("authorization");
  const token = raw ? bearerToken(raw) : null;
  const gate = !raw ? optionalAuth : token?.startsWith(API_KEY_PREFIX) ? requireAgentScope("mcp") : requireAuth;
  try {
    await gate(c, async () => {});
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      throw new ApiError(401, e.code, e.message, e.extra, {
        ...e.headers,
        "WWW-Authenticate": challenge(c, "invalid_token", e.message),
      });
    }
    if (e instanceof ApiError && e.code === "insufficient_scope") {
      throw new ApiError(403, e.code, e.message, e.extra, {
        ...e.headers,
        "WWW-Authenticate": challenge(c, "insufficient_scope", e.message),
      });
    }
    throw e;
  }
  await next();
});

/** RFC 9728 metadata of the /mcp resource: bearer tokens in the header; how to get one is in the docs. */
export function protectedResourceMetadata(c: Context<AppEnv>) {
  const origin = new URL(c.req.url).origin;
  return {
    resource: `${origin}${MCP_PATH}`,
    authorization_servers: [] as string[],
    bearer_methods_supported: ["header"],
    scopes_supported: ["mcp"],
    resource_name: "MoltStack",
    resource_documentation: `${origin}/docs/MCP.md`,
  };
}
