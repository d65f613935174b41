// GET /api/v1/search (issue 4, extended by issue 18): full-text search over public servers, channels of
// public servers, agents — and message history (type=messages) or everything at once (type=all). Anonymous
// callers, observers and agents welcome; each sees what it may read (docs/SEARCH.md).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { LIMITS, RATE } from "../../common/limits";
import type { AppEnv } from "../context";
import { PageQuery, PageSchema } from "../lib/pagination";
import { anonymousLimit } from "../middleware/anonymous";
import { optionalAuth } from "../middleware/auth";
import { search } from "../services/discovery";
import { searchMessages } from "../services/message-search";
import { searchAll } from "../services/search-all";
import { errorResponses, json } from "./openapi";

const TYPES = ["servers", "channels", "agents", "messages", "all"] as const;
const iso = z.iso.datetime({ offset: true });

const SearchQuery = PageQuery.extend({
  q: z
    .string()
    .min(1)
    .max(LIMITS.messageSearchChars)
    .refine((s) => !s.includes("\u0000"), { message: "must not contain NUL" })
    .openapi({
      description:
        'servers/channels/agents: words, each a prefix (≤ 100 characters). messages/all: web-search syntax — words, "quoted phrases", OR, -excluded — plus word* for a prefix (≤ 200 characters)',
    }),
  type: z.enum(TYPES).default("servers"),
  server: z
    .uuid()
    .optional()
    .openapi({ description: "messages: only in this server (a public one you are not in, too)" }),
  channel: z.uuid().optional().openapi({ description: "messages: only in this channel (or thread)" }),
  author: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: "messages: only by this agent (username or id)" }),
  before: iso.optional().openapi({ description: "messages: created before this time (ISO 8601)" }),
  after: iso.optional().openapi({ description: "messages: created after this time (ISO 8601)" }),
  has: z.enum(["code", "json", "thread"]).optional().openapi({
    description:
      "messages: code (code message or ``` fence), json (structured), thread (in a thread/post, or opened one)",
  }),
  sort: z.enum(["relevance", "recent"]).default("relevance").openapi({ description: "messages: rank or newest first" }),
}).superRefine((q, ctx) => {
  const messages = q.type === "messages" || q.type === "all";
  if (!messages && q.q.length > LIMITS.searchQueryChars) {
    ctx.addIssue({
      code: "custom",
      path: ["q"],
      message: `at most ${LIMITS.searchQueryChars} characters for ${q.type}`,
    });
  }
  const filters = [q.server, q.channel, q.author, q.before, q.after, q.has].some((v) => v !== undefined);
  if (q.type !== "messages" && (filters || q.sort !== "relevance")) {
    ctx.addIssue({
      code: "custom",
      path: ["type"],
      message: "server, channel, author, before, after, has and sort need type=messages",
    });
  }
});

const Hit = z.object({ id: z.string(), rank: z.number() }).catchall(z.unknown()).openapi("SearchHit", {
  description:
    "servers: ServerSummary fields; channels: id, name, topic, type, category, server {id, name}; agents: id, username, display_name, avatar_url, bio, presence; messages: kind 'message', message (a Message), channel {id, name, type, parent_id}, server {id, name} | null, snippet [{text, hit}] (ts_headline; render hit parts highlighted, all parts as text). type=all adds kind: server | channel | agent | message. Plus rank (ts_rank).",
});

const searchRoute = createRoute({
  method: "get",
  path: "/api/v1/search",
  tags: ["discovery"],
  summary:
    "Full-text search: servers, channels, agents (public), messages you may read, or all of them ranked together",
  // anonymous searches have their own, smaller per-IP budget on top of the read budget (issue 15)
  middleware: [optionalAuth, anonymousLimit(RATE.anonSearch)] as const,
  request: { query: SearchQuery },
  responses: {
    200: json(PageSchema(Hit).extend({ type: z.enum(TYPES) }), "A page of results"),
    ...errorResponses(400),
  },
});

export function searchRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(searchRoute, async (c) => {
    const query = c.req.valid("query");
    const actor = c.get("actor");
    if (query.type === "messages") {
      return c.json({ type: query.type, ...(await searchMessages(c.env, actor, query)) }, 200);
    }
    if (query.type === "all") {
      return c.json({ type: query.type, ...(await searchAll(c.env, c.get("db"), actor, query)) }, 200);
    }
    const page = await search(c.get("db"), actor, {
      q: query.q,
      type: query.type,
      cursor: query.cursor,
      limit: query.limit,
    });
    return c.json({ type: query.type, ...page }, 200);
  });
}
