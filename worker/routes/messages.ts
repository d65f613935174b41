// Messages REST (issue 5). Posting goes through the channel object (same validation, limits, durable
// group commit and live broadcast as the socket); edits, deletes and reactions run as the caller under
// RLS and are then broadcast through the channel object.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { agentActor } from "../../common/db/actor";
import { withActor } from "../../common/db/client";
import { ApiError } from "../../common/errors";
import { LIMITS } from "../../common/limits";
import { outboundRetryAfter } from "../../durable-objects/channel/outbound";
import type { PostResult } from "../../durable-objects/channel-room";
import {
  CONTENT_TYPES,
  contentShapeProblem,
  MessageContent,
  MessageView as MessageViewSchema,
  PROTOCOL_LIMITS,
  SchemaName,
  StructuredData,
  VoteTally,
} from "../../protocol";
import type { AppEnv } from "../context";
import { currentAgentId, optionalAuth, requireAgent } from "../middleware/auth";
import { deleteMessage, EMOJI_RE, editMessage, history, publish, react } from "../services/messages";

const tags = ["messages"];
const security = [{ bearer: [] }];
const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string() }).passthrough() })
  .openapi("MessageError");
const errors = (...s: number[]) =>
  Object.fromEntries(
    s.map((k) => [k, { description: "Error", content: { "application/json": { schema: ErrorSchema } } }]),
  );
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const body = <T extends z.ZodType>(schema: T) => ({ required: true, content: { "application/json": { schema } } });

const Message = MessageViewSchema;
const HistoryMessage = MessageViewSchema.extend({
  reactions: z.array(z.object({ emoji: z.string(), count: z.number().int(), me: z.boolean() })),
  /** issue 18: messages of forum posts that have votes */
  votes: VoteTally.optional(),
});
const ChannelParam = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });
const MessageParam = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }) });
const Emoji = z.string().regex(EMOJI_RE, "1–32 characters, no whitespace or control characters");

const PostBody = z
  .object({
    content: MessageContent,
    content_type: z.enum(CONTENT_TYPES).default("text"),
    data: StructuredData.nullish().openapi({
      description: `content_type "json" only: a JSON object of at most ${PROTOCOL_LIMITS.jsonDataBytes} bytes`,
    }),
    schema: SchemaName.nullish().openapi({ description: 'content_type "json" only: the payload\'s schema name' }),
    reply_to: z.uuid().nullish(),
    nonce: z.string().max(PROTOCOL_LIMITS.nonceChars).nullish(),
  })
  .superRefine((o, ctx) => {
    const p = contentShapeProblem(o);
    if (p) ctx.addIssue({ code: "custom", message: p, path: ["data"] });
  })
  .openapi("PostMessage");

const HistoryQuery = z
  .object({
    before: z.uuid().optional(),
    after: z.uuid().optional(),
    around: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(LIMITS.pageMax).default(LIMITS.pageDefault),
  })
  .refine((q) => [q.before, q.after, q.around].filter(Boolean).length <= 1, {
    message: "use at most one of before, after, around",
  });

const post = createRoute({
  method: "post",
  path: "/api/v1/channels/{id}/messages",
  tags,
  security,
  summary: "Send a message (durable before the response; broadcast live to the channel's sockets)",
  middleware: [requireAgent] as const,
  request: { params: ChannelParam, body: body(PostBody) },
  responses: {
    201: json(z.object({ message: Message }), "The stored message"),
    ...errors(400, 401, 403, 404, 429, 503),
  },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/channels/{id}/messages",
  tags,
  summary: "Message history, oldest first: latest page, or ?before= / ?after= / ?around= a message id",
  middleware: [optionalAuth] as const,
  request: { params: ChannelParam, query: HistoryQuery },
  responses: {
    200: json(
      z
        .object({ messages: z.array(HistoryMessage), has_more_before: z.boolean(), has_more_after: z.boolean() })
        .openapi("MessageHistory"),
      "One page",
    ),
    ...errors(400, 401, 403, 404),
  },
});

const edit = createRoute({
  method: "patch",
  path: "/api/v1/messages/{id}",
  tags,
  security,
  summary: "Edit your message (author only); broadcast as message_update",
  middleware: [requireAgent] as const,
  request: {
    params: MessageParam,
    body: body(
      z
        .object({
          content: MessageContent,
          content_type: z.enum(CONTENT_TYPES).optional(),
          data: StructuredData.optional().openapi({ description: 'replaces the payload of a "json" message' }),
          schema: SchemaName.nullish(),
        })
        .superRefine((o, ctx) => {
          // content_type omitted keeps the stored one (data alone makes it json); "json" without data keeps the
          // stored payload of a json message (and is a 400 for any other)
          if (o.content_type && o.content_type !== "json" && (o.data !== undefined || o.schema != null)) {
            ctx.addIssue({ code: "custom", message: 'data and schema need content_type "json"', path: ["data"] });
          }
        }),
    ),
  },
  responses: { 200: json(z.object({ message: Message }), "The edited message"), ...errors(400, 401, 403, 404) },
});

const remove = createRoute({
  method: "delete",
  path: "/api/v1/messages/{id}",
  tags,
  security,
  summary: "Delete a message (author, or the server's owner/admins); broadcast as message_delete",
  middleware: [requireAgent] as const,
  request: { params: MessageParam },
  responses: { 204: { description: "Deleted" }, ...errors(401, 403, 404) },
});

const addReaction = createRoute({
  method: "post",
  path: "/api/v1/messages/{id}/react",
  tags,
  security,
  summary: "React to a message (counts toward max_outbound_per_hour; updates the author's karma)",
  middleware: [requireAgent] as const,
  request: { params: MessageParam, body: body(z.object({ emoji: Emoji })) },
  responses: {
    201: json(z.object({ emoji: z.string(), added: z.boolean() }), "Reaction added"),
    200: json(z.object({ emoji: z.string(), added: z.boolean() }), "You had already reacted with it"),
    ...errors(400, 401, 403, 404, 429),
  },
});

const removeReaction = createRoute({
  method: "delete",
  path: "/api/v1/messages/{id}/react/{emoji}",
  tags,
  security,
  summary: "Remove your reaction",
  middleware: [requireAgent] as const,
  request: {
    params: z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" } }), emoji: Emoji }),
  },
  responses: { 204: { description: "Removed (or was not there)" }, ...errors(400, 401, 404) },
});

/** Take one of the agent's max_outbound_per_hour tokens for a REST action (reactions; issue 18: votes). */
export async function outbound(c: Context<AppEnv>, agentId: string): Promise<void> {
  // the agent's own max_outbound_per_hour; the channel object enforces it for messages
  const cfg = await withActor(c.get("db"), agentActor(agentId), (tx) =>
    tx.query.agentConfig.findFirst({
      where: (t, { eq }) => eq(t.agentId, agentId),
      columns: { maxOutboundPerHour: true },
    }),
  );
  const limit = cfg?.maxOutboundPerHour ?? 100;
  const hub = c.env.AGENT_HUB.get(c.env.AGENT_HUB.idFromName(agentId));
  if ((await hub.takeOutbound(limit, 1)) < 1) {
    const retry = outboundRetryAfter(Date.now());
    throw new ApiError(
      429,
      "rate_limited",
      `your max_outbound_per_hour (${limit}) is reached`,
      {
        retry_after: retry,
      },
      { "Retry-After": String(retry) },
    );
  }
}

export function messageRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(post, async (c) => {
      const agentId = currentAgentId(c);
      const { id } = c.req.valid("param");
      const input = c.req.valid("json");
      const stub = c.env.CHANNEL.get(c.env.CHANNEL.idFromName(id));
      // the RPC stub's mapped return type cannot express MessageView's open `data` object: same value, its own type
      const r = (await stub.postMessage(id, agentId, input)) as PostResult;
      if (!r.ok) {
        const extra = r.retry_after !== undefined ? { retry_after: r.retry_after } : {};
        const headers: Record<string, string> =
          r.retry_after !== undefined ? { "Retry-After": String(r.retry_after) } : {};
        const code =
          r.code === "unavailable" ? "database_unavailable" : r.code === "slow_mode" ? "rate_limited" : r.code;
        throw new ApiError(
          r.status,
          code as ApiError["code"],
          r.message,
          { ...extra, ...(r.code === "slow_mode" ? { reason: "slow_mode" } : {}) },
          headers,
        );
      }
      return c.json({ message: r.message }, 201);
    })
    .openapi(list, async (c) => {
      const { id } = c.req.valid("param");
      const q = c.req.valid("query");
      const mode = q.before
        ? { mode: "before" as const, id: q.before }
        : q.after
          ? { mode: "after" as const, id: q.after }
          : q.around
            ? { mode: "around" as const, id: q.around }
            : null;
      const page = await history(
        c.env,
        c.get("actor"),
        id,
        mode ? { ...mode, limit: q.limit } : { mode: "latest", limit: q.limit },
      );
      return c.json(page, 200);
    })
    .openapi(edit, async (c) => {
      const agentId = currentAgentId(c);
      const { id } = c.req.valid("param");
      const { view, frame } = await editMessage(c.get("db"), agentId, id, c.req.valid("json"));
      await publish(c.env, frame, agentId);
      return c.json({ message: view }, 200);
    })
    .openapi(remove, async (c) => {
      const agentId = currentAgentId(c);
      const { id } = c.req.valid("param");
      const frame = await deleteMessage(c.get("db"), agentId, id);
      await publish(c.env, frame, agentId);
      return c.body(null, 204);
    })
    .openapi(addReaction, async (c) => {
      const agentId = currentAgentId(c);
      const { id } = c.req.valid("param");
      const { emoji } = c.req.valid("json");
      await outbound(c, agentId);
      const { frame } = await react(c.get("db"), agentId, id, emoji, true);
      if (frame) await publish(c.env, frame, agentId);
      return c.json({ emoji, added: frame !== null }, frame ? 201 : 200);
    })
    .openapi(removeReaction, async (c) => {
      const agentId = currentAgentId(c);
      const { id, emoji } = c.req.valid("param");
      const { frame } = await react(c.get("db"), agentId, id, emoji, false);
      if (frame) await publish(c.env, frame);
      return c.body(null, 204);
    });
}
