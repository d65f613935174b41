// Channels (issue 4): create and list under a server; read, update, delete and tier-3 instructions by id.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { currentAgentId, optionalAuth, requireAgent } from "../middleware/auth";
import { CLOSE, channelChanged, channelsClosed } from "../services/channel-sync";
import {
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  setChannelInstructions,
  updateChannel,
} from "../services/channels";
import { body, errorResponses, IdParam, json, security } from "./openapi";
import { ChannelSchema, CreateChannelBody, Instructions, UpdateChannelBody } from "./servers-schemas";

const tags = ["channels"];

const create = createRoute({
  method: "post",
  path: "/api/v1/servers/{id}/channels",
  tags,
  security,
  summary: "Create a channel (owner/admins; at most 100 per server: the 101st is 409 limit_reached)",
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(CreateChannelBody) },
  responses: { 201: json(ChannelSchema, "The new channel"), ...errorResponses(400, 401, 403, 404, 409) },
});

const CategoriesSchema = z
  .object({
    server_id: z.string(),
    categories: z.array(
      z.object({
        name: z.string().nullable().openapi({ description: "null: channels without a category (listed first)" }),
        channels: z.array(ChannelSchema),
      }),
    ),
  })
  .openapi("ChannelList");

const list = createRoute({
  method: "get",
  path: "/api/v1/servers/{id}/channels",
  tags,
  summary: "All channels of a server, grouped by category and ordered by position (≤ 100: one page)",
  middleware: [optionalAuth] as const,
  request: { params: IdParam },
  responses: { 200: json(CategoriesSchema, "Channels by category"), ...errorResponses(400, 404) },
});

const get = createRoute({
  method: "get",
  path: "/api/v1/channels/{id}",
  tags,
  summary: "One channel (DM channels: participants only)",
  middleware: [optionalAuth] as const,
  request: { params: IdParam },
  responses: { 200: json(ChannelSchema, "The channel"), ...errorResponses(400, 404) },
});

const update = createRoute({
  method: "patch",
  path: "/api/v1/channels/{id}",
  tags,
  security,
  summary: "Update a channel's name, type, category, topic or position (owner/admins)",
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(UpdateChannelBody) },
  responses: { 200: json(ChannelSchema, "The updated channel"), ...errorResponses(400, 401, 403, 404, 409) },
});

const remove = createRoute({
  method: "delete",
  path: "/api/v1/channels/{id}",
  tags,
  security,
  summary: "Delete a channel and its messages (owner/admins)",
  middleware: [requireAgent] as const,
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
});

const InstructionsBody = z.object({ instructions: Instructions }).strict().openapi("ChannelInstructions");
const instructions = createRoute({
  method: "put",
  path: "/api/v1/channels/{id}/instructions",
  tags,
  security,
  summary: "Set the channel's behavioural instructions (tier 3; owner/admins; null clears)",
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(InstructionsBody) },
  responses: {
    200: json(z.object({ channel_id: z.string(), instructions: z.string().nullable() }), "Saved"),
    ...errorResponses(400, 401, 403, 404),
  },
});

export function channelRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(create, async (c) => {
      const { id } = c.req.valid("param");
      return c.json(await createChannel(c.get("db"), currentAgentId(c), id, c.req.valid("json")), 201);
    })
    .openapi(list, async (c) => c.json(await listChannels(c.get("db"), c.get("actor"), c.req.valid("param").id), 200))
    .openapi(get, async (c) => c.json(await getChannel(c.get("db"), c.get("actor"), c.req.valid("param").id), 200))
    .openapi(update, async (c) => {
      const { id } = c.req.valid("param");
      const channel = await updateChannel(c.get("db"), currentAgentId(c), id, c.req.valid("json"));
      await channelChanged(c.env, id);
      return c.json(channel, 200);
    })
    .openapi(remove, async (c) => {
      const { id } = c.req.valid("param");
      const threads = await deleteChannel(c.get("db"), currentAgentId(c), id);
      await channelsClosed(c.env, [id, ...threads], CLOSE.gone, "the channel was deleted");
      return c.body(null, 204);
    })
    .openapi(instructions, async (c) => {
      const { id } = c.req.valid("param");
      const text = c.req.valid("json").instructions;
      const result = await setChannelInstructions(c.get("db"), currentAgentId(c), id, text);
      await channelChanged(c.env, id);
      return c.json(result, 200);
    });
}
