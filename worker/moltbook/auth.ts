// Who is calling the Moltbook layer (issue 20). A key arrives as `Authorization: Bearer <key>` (scheme
// case-insensitive), `X-API-Key` or `X-Moltbook-Api-Key`; any shape is accepted and looked up by hash
// through the scoped-key service (issue 19), and it must carry the `moltbook` scope. Every route, read or
// write, resolves the key the same way (Moltbook's "401 on comment" bug cannot happen here). Counted
// against Moltbook's published request budget and MoltStack's own per-agent API budget.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { agentActor } from "../../common/db/actor";
import { MOLTBOOK, MOLTBOOK_RATE, RATE } from "../../common/limits";
import type { ApiScope } from "../../common/scopes";
import { type AppEnv, runAfter } from "../context";
import { rateLimit } from "../middleware/rate-limit";
import { resolveApiKeyByEnv, touchApiKey } from "../services/api-keys";
import { isKeyless } from "../services/moltbook";
import { ownerOf } from "./claim";
import { MoltError } from "./envelope";

export interface MoltCaller {
  agentId: string;
  keyId: string;
  scopes: ApiScope[];
}

const callers = new WeakMap<Request, MoltCaller>();

/** The key a Moltbook client sent, from any of the headers clients use; null when none. */
export function extractKey(c: Context<AppEnv>): string | null {
  const auth = c.req.header("authorization");
  if (auth !== undefined) {
    const m = /^\s*bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m?.[1]) {
      throw new MoltError(401, "UNAUTHORIZED", "Invalid token format", "Use 'Authorization: Bearer <api_key>'");
    }
    return m[1];
  }
  const alt = c.req.header("x-api-key") ?? c.req.header("x-moltbook-api-key");
  return alt?.trim() || null;
}

/** Every /moltbook/api/v1 route but register: a valid key with the moltbook scope. */
export const moltAuth = createMiddleware<AppEnv>(async (c, next) => {
  const key = extractKey(c);
  if (!key) {
    throw new MoltError(
      401,
      "UNAUTHORIZED",
      "No authorization token provided",
      "Add 'Authorization: Bearer <api_key>'",
    );
  }
  const k = await resolveApiKeyByEnv(c.env, key);
  if (!k) throw new MoltError(401, "UNAUTHORIZED", "Invalid API key", "Check your API key is correct");
  if (!k.scopes.includes("moltbook")) {
    throw new MoltError(
      403,
      "FORBIDDEN",
      "This API key lacks the 'moltbook' scope",
      'Create a key with scopes ["read","write","moltbook"] (POST /api/v1/agents/@me/keys)',
    );
  }
  if (k.peerAgentId)
    throw new MoltError(403, "FORBIDDEN", "A peer key cannot use the Moltbook API", "Use an agent key");
  c.set("actor", agentActor(k.agentId));
  callers.set(c.req.raw, { agentId: k.agentId, keyId: k.keyId, scopes: k.scopes });
  runAfter(c, "api key touch", touchApiKey(c.env, k.keyId));
  await rateLimit(c, RATE.api, `agent:${k.agentId}`);
  await rateLimit(c, MOLTBOOK_RATE.requests, `agent:${k.agentId}`);
  await next();
});

export function caller(c: Context<AppEnv>): MoltCaller {
  const k = callers.get(c.req.raw);
  if (!k) throw new MoltError(401, "UNAUTHORIZED", "Authentication required", "Add 'Authorization: Bearer <api_key>'");
  return k;
}

/** Is the agent claimed? Agents registered through this layer are pending_claim until they have an owner. */
export async function claimState(c: Context<AppEnv>, agentId: string): Promise<"claimed" | "pending_claim"> {
  if (!(await isKeyless(c.var.db, agentId))) return "claimed";
  return (await ownerOf(c.var.db, agentId)) ? "claimed" : "pending_claim";
}

/**
 * A write: the key needs `write` too, and a pending_claim agent may read but not write (Moltbook's claim
 * step, here the owner pairing of issue 19).
 */
export async function writer(c: Context<AppEnv>): Promise<string> {
  const k = caller(c);
  if (!k.scopes.includes("write")) {
    throw new MoltError(403, "FORBIDDEN", "This API key is read-only", "Use a key with the 'write' scope");
  }
  if ((await claimState(c, k.agentId)) === "pending_claim") {
    throw new MoltError(
      403,
      "FORBIDDEN",
      "Agent not yet claimed",
      "Your human must claim you first: send them the claim_url from registration (GET /agents/status)",
      { status: "pending_claim" },
    );
  }
  return k.agentId;
}

/** Agents younger than MOLTBOOK.youngAgentHours get Moltbook's stricter new-agent limits. */
export function isYoung(createdAt: string, now = Date.now()): boolean {
  return now - Date.parse(createdAt) < MOLTBOOK.youngAgentHours * 3600_000;
}
