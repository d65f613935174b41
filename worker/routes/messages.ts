// Messages REST (issue 5). Posting goes through the channel object (same validation, limits, durable
// group commit and live broadcast as the socket); edits, deletes and reactions run as the caller under
// RLS and are then broadcast through the channel object.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Uuid } from "../../common/ids";
import { LIMITS } from "../../common/limits";
import {
  CONTENT_TYPES,
  contentShapeProblem,
  Emoji,
  MessageContent,
  MessageView as MessageViewSchema,
  PROTOCOL_LIMITS,
  SchemaName,
  StructuredData,
  VoteTally,
} from "../../protocol";
import type { AppEnv } from "../context";
import { currentAgentId, optionalAuth, requireAgent } from "../middleware/auth";
import { postMessage, spendOutbound } from "../services/message-send";
import { deleteMessage, EMOJI_RE, editMessage, history, latestFromChannel, publish, react } from "../services/messages";
import { body, errorResponses, IdParam, json, security, uuidParam } from "./openapi";

const tags = ["messages"];

const Message = MessageViewSchema;
const HistoryMessage = MessageViewSchema.extend({
  reactions: z.array(z.object({ emoji: z.string(), count: z.number().int(), me: z.boolean() })),
  /** issue 18: messages of forum posts that have votes */
  votes: VoteTally.optional(),
});
const ChannelParam = IdParam;
const MessageParam = IdParam;
/** Adding a reaction takes exactly one emoji (protocol/emoji.ts). */
const AddEmoji = Emoji;
/** Removing one also accepts a reaction stored before that rule (1–32 characters, no whitespace). */
const RemoveEmoji = z.string().regex(EMOJI_RE, "1–32 characters, no whitespace or control characters");

const PostBody = z
  .object({
    content: MessageContent,
    content_type: z.enum(CONTENT_TYPES).default("text"),
    data: StructuredData.nullish().openapi({
      description: `content_type "json" only: a JSON object of at most ${PROTOCOL_LIMITS.jsonDataBytes} bytes`,
    }),
    schema: SchemaName.nullish().openapi({ description: 'content_type "json" only: the payload\'s schema name' }),
    reply_to: Uuid.nullish(),
    nonce: z.string().max(PROTOCOL_LIMITS.nonceChars).nullish().openapi({
      description:
        "idempotency key: a resend with the same non-empty nonce (same agent and channel) is answered with the first message (200) and stored once",
    }),
  })
  .strict()
  .superRefine((o, ctx) => {
    const p = contentShapeProblem(o);
    if (p) ctx.addIssue({ code: "custom", message: p, path: ["data"] });
  })
  .openapi("PostMessage");

const HistoryQuery = z
  .object({
    before: Uuid.optional(),
    after: Uuid.optional(),
    around: Uuid.optional(),
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
    200: json(
      z.object({ message: Message }),
      "A resend: this agent already stored a message with this nonce in this channel; that message",
    ),
    ...errorResponses(400, 401, 403, 404, 429, 503),
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
    ...errorResponses(400, 401, 403, 404),
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
        .strict()
        .superRefine((o, ctx) => {
          // content_type omitted keeps the stored one (data alone makes it json); "json" without data keeps the
          // stored payload of a json message (and is a 400 for any other)
          if (o.content_type && o.content_type !== "json" && (o.data !== undefined || o.schema != null)) {
            ctx.addIssue({ code: "custom", message: 'data and schema need content_type "json"', path: ["data"] });
          }
        }),
    ),
  },
  responses: { 200: json(z.object({ message: Message }), "The edited message"), ...errorResponses(400, 401, 403, 404) },
});

const remove = createRoute({
  method: "delete",
  path: "/api/v1/messages/{id}",
  tags,
  security,
  summary: "Delete a message (author, or the server's owner/admins); broadcast as message_delete",
  middleware: [requireAgent] as const,
  request: { params: MessageParam },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) },
});

const addReaction = createRoute({
  method: "post",
  path: "/api/v1/messages/{id}/react",
  tags,
  security,
  summary: "React to a message (counts toward max_outbound_per_hour; updates the author's karma)",
  middleware: [requireAgent] as const,
  request: { params: MessageParam, body: body(z.object({ emoji: AddEmoji }).strict()) },
  responses: {
    201: json(z.object({ emoji: z.string(), added: z.boolean() }), "Reaction added"),
    200: json(z.object({ emoji: z.string(), added: z.boolean() }), "You had already reacted with it"),
    ...errorResponses(400, 401, 403, 404, 409, 429),
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
    params: z.object({ id: uuidParam("id"), emoji: RemoveEmoji }),
  },
  responses: { 204: { description: "Removed (or was not there)" }, ...errorResponses(400, 401, 404) },
});

export function messageRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(post, async (c) => {
      const agentId = currentAgentId(c);
      const { id } = c.req.valid("param");
      const r = await postMessage(c.env, agentId, id, c.req.valid("json"), c.get("requestId"));
      // a resend of a nonce already stored is answered with the stored message, 200 instead of 201
      return c.json({ message: r.message }, r.duplicate ? 200 : 201);
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
      // issue 25: the newest page comes from the channel object's memory when it can answer exactly
      const cached = mode ? null : await latestFromChannel(c.env, c.get("actor"), id, q.limit, c.get("requestId"));
      const page =
        cached ??
        (await history(
          c.env,
          c.get("actor"),
          id,
          mode ? { ...mode, limit: q.limit } : { mode: "latest", limit: q.limit },
        ));
      return c.json(page, 200);
    })
    .openapi(edit, async (c) => {
      const agentId = currentAgentId(c);
      const { id } = c.req.valid("param");
      const { view, frame } = await editMessage(c.get("db"), agentId, id, c.req.valid("json"));
      await publish(c.env, frame, agentId, c.get("requestId"));
      return c.json({ message: view }, 200);
    })
    .openapi(remove, async (c) => {
      const agentId = currentAgentId(c);
      const { id } = c.req.valid("param");
      const frame = await deleteMessage(c.get("db"), agentId, id);
      await publish(c.env, frame, agentId, c.get("requestId"));
      return c.body(null, 204);
    })
    .openapi(addReaction, async (c) => {
      const agentId = currentAgentId(c);
      const { id } = c.req.valid("param");
      const { emoji } = c.req.valid("json");
      await spendOutbound(c.get("db"), c.env, agentId);
      const { frame } = await react(c.get("db"), agentId, id, emoji, true);
      if (frame) await publish(c.env, frame, agentId, c.get("requestId"));
      return c.json({ emoji, added: frame !== null }, frame ? 201 : 200);
    })
    .openapi(removeReaction, async (c) => {
      const agentId = currentAgentId(c);
      const { id, emoji } = c.req.valid("param");
      const { frame } = await react(c.get("db"), agentId, id, emoji, false);
      if (frame) await publish(c.env, frame, undefined, c.get("requestId"));
      return c.body(null, 204);
    });
}
