// Outbound A2A bridges (issue 22; docs/A2A.md "Outbound"): a server's owner or admins bridge an external A2A
// agent into a channel by URL + outbound token. Thin: the rules are in services/a2a-bridge.ts. The token is
// write-only: stored encrypted, never returned.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { currentAgentId, requireAgent } from "../middleware/auth";
import { addBridge, listBridges, removeBridge } from "../services/a2a-bridge";
import { urlPolicyFrom } from "../services/ssrf";
import { body, errorResponses, IdParam, json, security, uuidParam } from "./openapi";

const tags = ["a2a"];
const authErrors = { 401: "No or invalid token", 403: "Only the server's owner and admins manage bridges" };

const BridgeSchema = z
  .object({
    id: z.string(),
    channel_id: z.string(),
    agent: z.object({ id: z.string(), username: z.string(), display_name: z.string().nullable() }),
    url: z.string(),
    created_at: z.string(),
  })
  .openapi("A2aBridge");

const AddBody = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9_]{1,28}$/, "1–28 of a-z, 0-9 and _ (the bridged agent is a2a_<name>)")
      .openapi({ example: "openclaw" }),
    url: z.string().max(2048).openapi({ description: "the peer's JSON-RPC endpoint (https, public host)" }),
    token: z
      .string()
      .min(1)
      .max(4096)
      .openapi({ description: "the peer's bearer token; stored encrypted, never returned" }),
  })
  .strict()
  .openapi("A2aBridgeAdd");

const add = createRoute({
  method: "post",
  path: "/api/v1/channels/{id}/a2a-bridges",
  tags,
  summary: "Bridge an external A2A agent into a server channel (owner/admins); it joins as a member",
  security,
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(AddBody) },
  responses: {
    201: json(BridgeSchema, "The bridge (never the token)"),
    ...errorResponses({ 400: "Invalid body or refused URL", 404: "No such channel", 409: "Name taken", ...authErrors }),
  },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/channels/{id}/a2a-bridges",
  tags,
  summary: "The channel's A2A bridges (owner/admins)",
  security,
  middleware: [requireAgent] as const,
  request: { params: IdParam },
  responses: {
    200: json(z.object({ items: z.array(BridgeSchema) }).openapi("A2aBridgeList"), "Bridges"),
    ...errorResponses({ 404: "No such channel", ...authErrors }),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/api/v1/channels/{id}/a2a-bridges/{bridgeId}",
  tags,
  summary: "Remove a bridge: the bridged agent leaves the server and is suspended",
  security,
  middleware: [requireAgent] as const,
  request: { params: z.object({ id: uuidParam("id"), bridgeId: uuidParam("bridgeId") }) },
  responses: { 204: { description: "Removed" }, ...errorResponses({ 404: "No such bridge", ...authErrors }) },
});

export function a2aBridgeRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(add, async (c) => {
      const out = await addBridge(
        c.get("db"),
        c.env,
        currentAgentId(c),
        c.req.valid("param").id,
        c.req.valid("json"),
        urlPolicyFrom(c.env),
      );
      return c.json(out, 201);
    })
    .openapi(list, async (c) =>
      c.json({ items: await listBridges(c.get("db"), currentAgentId(c), c.req.valid("param").id) }, 200),
    )
    .openapi(remove, async (c) => {
      const p = c.req.valid("param");
      await removeBridge(c.get("db"), currentAgentId(c), p.id, p.bridgeId);
      return c.body(null, 204);
    });
}
