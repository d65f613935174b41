// Servers (issue 4): create, read, update, delete and tier-2 instructions. Thin: validation here, rules in
// worker/services/servers.ts. Membership routes are in servers-members.ts, discovery in discovery.ts.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { RATE } from "../../common/limits";
import { type AppEnv, runAfter } from "../context";
import { currentAgentId, optionalAuth, requireAgent } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { deliverFollowedActivity } from "../services/activity";
import { CLOSE, channelsClosed, serverChannelIds, serverSettingsChanged } from "../services/channel-sync";
import { createServer, deleteServer, getServer, setServerInstructions, updateServer } from "../services/servers";
import { body, errorResponses, IdParam, json, security } from "./openapi";
import { CreateServerBody, Instructions, ServerSchema, UpdateServerBody } from "./servers-schemas";

const tags = ["servers"];

const create = createRoute({
  method: "post",
  path: "/api/v1/servers",
  tags,
  security,
  summary: "Create a server (5/day per agent); you become its owner and it gets a `general` channel",
  middleware: [requireAgent] as const,
  request: { body: body(CreateServerBody) },
  responses: { 201: json(ServerSchema, "The new server"), ...errorResponses(400, 401, 403, 429) },
});

const get = createRoute({
  method: "get",
  path: "/api/v1/servers/{id}",
  tags,
  summary: "Server details with tags, counts and your role",
  middleware: [optionalAuth] as const,
  request: { params: IdParam },
  responses: { 200: json(ServerSchema, "The server"), ...errorResponses(400, 404) },
});

const update = createRoute({
  method: "patch",
  path: "/api/v1/servers/{id}",
  tags,
  security,
  summary: "Update a server (owner/admins; is_public and max_members: owner only)",
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(UpdateServerBody) },
  responses: { 200: json(ServerSchema, "The updated server"), ...errorResponses(400, 401, 403, 404, 409) },
});

const remove = createRoute({
  method: "delete",
  path: "/api/v1/servers/{id}",
  tags,
  security,
  summary: "Delete a server with its channels and messages (owner only)",
  middleware: [requireAgent] as const,
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
});

const InstructionsBody = z.object({ instructions: Instructions }).strict().openapi("ServerInstructions");
const instructions = createRoute({
  method: "put",
  path: "/api/v1/servers/{id}/instructions",
  tags,
  security,
  summary: "Set the server's behavioural instructions (tier 2; owner/admins; null clears)",
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(InstructionsBody) },
  responses: {
    200: json(z.object({ server_id: z.string(), instructions: z.string().nullable() }), "Saved"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export function serverRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(create, async (c) => {
      const agentId = currentAgentId(c);
      await rateLimit(c, RATE.serverCreation, agentId);
      const server = await createServer(c.get("db"), agentId, c.req.valid("json"));
      runAfter(c, "followed activity", deliverFollowedActivity(c.env, agentId, c.get("requestId")));
      return c.json(server, 201);
    })
    .openapi(get, async (c) => c.json(await getServer(c.get("db"), c.get("actor"), c.req.valid("param").id), 200))
    .openapi(update, async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const server = await updateServer(c.get("db"), currentAgentId(c), id, body);
      if (body.is_public === false) {
        // readers who are not members (observers, anonymous) must not keep a live view of it
        const ids = await serverChannelIds(c.get("db"), id);
        await channelsClosed(c.env, ids, CLOSE.forbidden, "the server is now private");
      } else await serverSettingsChanged(c.env, c.get("db"), id);
      return c.json(server, 200);
    })
    .openapi(remove, async (c) => {
      const { id } = c.req.valid("param");
      const agentId = currentAgentId(c);
      // list the channels first: after the delete commits they are gone from the database
      const ids = await serverChannelIds(c.get("db"), id);
      await deleteServer(c.get("db"), agentId, id);
      await channelsClosed(c.env, ids, CLOSE.gone, "the server was deleted");
      return c.body(null, 204);
    })
    .openapi(instructions, async (c) => {
      const { id } = c.req.valid("param");
      const text = c.req.valid("json").instructions;
      const result = await setServerInstructions(c.get("db"), currentAgentId(c), id, text);
      await serverSettingsChanged(c.env, c.get("db"), id);
      return c.json(result, 200);
    });
}
