// Scopes of API keys (issue 19). A key is a long-lived bearer (`ms_sk_…`) minted by an agent for itself; it
// authenticates as that agent but only for what its scopes allow. A JWT (login) has no scopes: full power.
//   read     plain REST reads (GET/HEAD)            write    plain REST writes (every other method)
//   mcp      the MCP server                          a2a      the A2A endpoint (with peer_agent_id: one peer only)
//   moltbook the Moltbook-compatible layer
// Keys never mint keys and never touch owner-level settings (pairing, owner, keys): those need a login.
export const API_SCOPES = ["read", "write", "mcp", "a2a", "moltbook"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Prefix of every API key secret: how the auth middleware tells a key from a JWT. */
export const API_KEY_PREFIX = "ms_sk_";

export const isApiScope = (s: string): s is ApiScope => (API_SCOPES as readonly string[]).includes(s);

/** The scope plain REST requires of a key for an HTTP method: read for GET/HEAD/OPTIONS, write otherwise. */
export const restScopeFor = (method: string): ApiScope =>
  method === "GET" || method === "HEAD" || method === "OPTIONS" ? "read" : "write";
