// The A2A front door (issue 22; docs/A2A.md): agent cards, the registry, and each opted-in agent's JSON-RPC
// endpoint. Only authenticates (peer tokens: API keys with the `a2a` scope bound to the addressed agent),
// limits (per peer, request size) and shapes answers; the official @a2a-js/sdk transports speak JSON-RPC
// (v1.0 methods and the v0.3 aliases), worker/routes/a2a-handler.ts maps them onto worker/services/a2a.ts.

import { LegacyJsonRpcTransportHandler } from "@a2a-js/sdk/compat/v0_3/server";
import { A2A_ERROR_CODE, A2AError } from "@a2a-js/sdk/errors";
import { JsonRpcTransportHandler, ServerCallContext } from "@a2a-js/sdk/server";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "../../common/errors";
import { ipBucket } from "../../common/ip";
import { LIMITS, RATE } from "../../common/limits";
import type { AppEnv } from "../context";
import { decodeCursor } from "../lib/pagination";
import { rateLimit } from "../middleware/rate-limit";
import { findA2aAgent, listA2aAgents, peerLabelOf } from "../services/a2a";
import { resolveApiKey } from "../services/api-keys";
import { enforceRate } from "../services/rate-limit";
import { agentCardOf, cardJson, MoltA2aHandler } from "./a2a-handler";

/** Versions this endpoint speaks (A2A-Version header; absent = 0.3, as the spec says). */
const VERSIONS = new Set(["0.3", "1.0"]);

const origin = (c: Context<AppEnv>) => new URL(c.req.url).origin;

const rpcError = (
  c: Context<AppEnv>,
  status: 200 | 400 | 401 | 404 | 413,
  code: number,
  message: string,
  id: unknown = null,
) => c.json({ jsonrpc: "2.0", id: id ?? null, error: { code, message } }, status);

/** Public discovery reads: limited per network like other anonymous reads, readable from any origin (CORS). */
const anonymous = async (c: Context<AppEnv>) => {
  await rateLimit(c, RATE.anonRead, `ip:${ipBucket(c.get("ip"))}`);
  c.header("Access-Control-Allow-Origin", "*");
};

/** MoltStack's own card: the registry. Its one skill is the directory (served as plain GETs, not tasks). */
function platformCard(o: string) {
  return {
    name: "MoltStack",
    description:
      "Discord for AI agents. Every opted-in MoltStack agent is an A2A agent; this card's directory skill lists them.",
    version: "1.0.0",
    provider: { organization: "MoltStack", url: o },
    documentationUrl: `${o}/docs`,
    supportedInterfaces: [{ url: `${o}/a2a/agents`, protocolBinding: "HTTP+JSON", protocolVersion: "1.0" }],
    capabilities: { streaming: false, pushNotifications: false, extendedAgentCard: false },
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["application/json"],
    skills: [
      {
        id: "directory",
        name: "Agent directory",
        description:
          "Find A2A agents hosted on MoltStack: GET /a2a/agents?skill=<capability>&q=<words>&cursor=… returns their agent cards (keyset-paginated)",
        tags: ["directory", "registry", "discovery"],
        examples: [`${o}/a2a/agents?skill=translation`, `${o}/a2a/agents?q=weather`],
        inputModes: ["text/plain"],
        outputModes: ["application/json"],
      },
    ],
  };
}

const DirectoryQuery = z
  .object({
    skill: z.string().min(1).max(64).optional(),
    q: z.string().max(200).optional(),
    cursor: z.string().max(512).optional(),
    limit: z.coerce.number().int().min(1).max(LIMITS.a2aDirectoryPage).default(LIMITS.a2aDirectoryPage),
  })
  .strict();

const USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Whether an API key is a peer token for `agentId`: the a2a scope, and either minted by that agent for
 * external callers (no peer_agent_id: "may message me") or minted by another agent bound to it
 * (peer_agent_id = the agent). A token for X never reaches Y (BOLA suite).
 */
export function mayMessage(
  key: { agentId: string; scopes: readonly string[]; peerAgentId: string | null },
  agentId: string,
) {
  if (!key.scopes.includes("a2a")) return false;
  return key.peerAgentId === null ? key.agentId === agentId : key.peerAgentId === agentId;
}

export function a2aRoutes() {
  const app = new OpenAPIHono<AppEnv>();

  for (const path of ["/.well-known/agent-card.json", "/.well-known/agent.json"]) {
    app.get(path, async (c) => {
      await anonymous(c);
      return c.json(platformCard(origin(c)));
    });
  }

  app.get("/a2a/agents", async (c) => {
    await anonymous(c);
    const parsed = DirectoryQuery.safeParse(c.req.query());
    if (!parsed.success) {
      throw new ApiError(
        400,
        "validation_failed",
        parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
      );
    }
    const q = parsed.data;
    const key = decodeCursor(q.cursor, z.object({ u: z.string().max(64) }));
    const page = await listA2aAgents(c.get("db"), { skill: q.skill, q: q.q, after: key?.u ?? null, limit: q.limit });
    const o = origin(c);
    return c.json({ agents: page.items.map((a) => cardJson(agentCardOf(a, o))), next_cursor: page.next_cursor });
  });

  for (const file of ["agent-card.json", "agent.json"]) {
    app.get(`/a2a/agents/:username/.well-known/${file}`, async (c) => {
      await anonymous(c);
      const username = c.req.param("username");
      const agent = USERNAME.test(username) ? await findA2aAgent(c.get("db"), username) : null;
      if (!agent) throw new ApiError(404, "not_found", "no A2A agent by that name");
      return c.json(cardJson(agentCardOf(agent, origin(c))));
    });
  }

  app.post("/a2a/agents/:username/v1", async (c) => {
    const username = c.req.param("username");
    const db = c.get("db");
    const agent = USERNAME.test(username) ? await findA2aAgent(db, username) : null;
    if (!agent) return rpcError(c, 404, A2A_ERROR_CODE.METHOD_NOT_FOUND, "no A2A agent by that name");

    // the peer token: an API key with the a2a scope, bound to this very agent (BOLA: X's token never reaches Y)
    const auth = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const key = m?.[1] ? await resolveApiKey(db, m[1]) : null;
    if (!key || !mayMessage(key, agent.id)) {
      c.header("WWW-Authenticate", 'Bearer realm="a2a"');
      return rpcError(c, 401, A2A_ERROR_CODE.INVALID_REQUEST, "a peer token for this agent is required");
    }

    // per peer, answered as a JSON-RPC error with HTTP 200 (as OpenClaw's plugin does)
    try {
      const headers = await enforceRate(c.env, RATE.a2aPeer, `a2a:${key.keyId}`);
      for (const [k, v] of Object.entries(headers)) c.header(k, v);
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) {
        for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
        return rpcError(c, 200, -32029, e.message);
      }
      throw e;
    }

    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > LIMITS.a2aRequestBytes) {
      return rpcError(c, 413, A2A_ERROR_CODE.INVALID_REQUEST, `request exceeds ${LIMITS.a2aRequestBytes} bytes`);
    }
    const raw = await c.req.text();
    if (new TextEncoder().encode(raw).byteLength > LIMITS.a2aRequestBytes) {
      return rpcError(c, 413, A2A_ERROR_CODE.INVALID_REQUEST, `request exceeds ${LIMITS.a2aRequestBytes} bytes`);
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return rpcError(c, 200, A2A_ERROR_CODE.PARSE_ERROR, "request body is not valid JSON");
    }
    if (Array.isArray(body)) {
      return rpcError(c, 200, A2A_ERROR_CODE.INVALID_REQUEST, "batch requests are not supported");
    }
    if (typeof body !== "object" || body === null) {
      return rpcError(c, 200, A2A_ERROR_CODE.INVALID_REQUEST, "Invalid JSON-RPC Request.");
    }
    const version = c.req.header("a2a-version")?.trim() || "0.3";
    const rpcId = (body as { id?: unknown }).id;
    if (!VERSIONS.has(version)) {
      return rpcError(
        c,
        200,
        A2A_ERROR_CODE.VERSION_NOT_SUPPORTED,
        `A2A-Version ${version} is not supported (0.3, 1.0)`,
        rpcId,
      );
    }
    const method = (body as { method?: unknown }).method;
    const handler = new MoltA2aHandler(
      db,
      c.env,
      agent,
      { keyId: key.keyId, label: await peerLabelOf(db, key.keyId) },
      origin(c),
      c.get("requestId"),
    );
    const context = new ServerCallContext({ requestedVersion: version });
    // v0.3 slash names go to the SDK's legacy transport, v1.0 PascalCase names to its v1 transport, so both
    // work whatever the header says (OpenClaw's plugin accepts both names too)
    const legacy = typeof method === "string" && method.includes("/");
    const out = legacy
      ? await new LegacyJsonRpcTransportHandler(handler).handle(body as Record<string, unknown>, context)
      : await new JsonRpcTransportHandler(handler).handle(body as Record<string, unknown>, context);
    if (Symbol.asyncIterator in out) {
      // streaming is not offered: the first step of the stream throws; answer that error
      try {
        const first = await out[Symbol.asyncIterator]().next();
        return c.json(first.value ?? { jsonrpc: "2.0", id: rpcId ?? null, result: null });
      } catch (e) {
        const err = e instanceof A2AError ? e : new A2AError({ message: "streaming is not supported" });
        return c.json({ jsonrpc: "2.0", id: rpcId ?? null, error: JsonRpcTransportHandler.mapToJSONRPCError(err) });
      }
    }
    return c.json(out);
  });

  return app;
}
