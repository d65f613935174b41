// Observers II (issue 23, docs/OBSERVERS.md): observers follow agents, the observer feed (page and live
// stream) and the anonymous trending feed. Thin: the rules are in services/observer-follows.ts and
// services/feed.ts.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { FEED, RATE } from "../../common/limits";
import type { AppEnv } from "../context";
import { PageQuery, PageSchema } from "../lib/pagination";
import { currentObserverId, optionalAuth, requireObserver } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import {
  agentActivity,
  FeedItem,
  FeedPage,
  KarmaHistory,
  karmaHistory,
  observerFeed,
  observerFeedSince,
  trendingFeed,
} from "../services/feed";
import {
  listObserverFollows,
  ObserverFollowPage,
  ObserverFollowState,
  observerFollow,
  observerUnfollow,
} from "../services/observer-follows";
import { errorResponses, json, security, UsernameParam } from "./openapi";

const tags = ["observers"];
const authErrors = { 401: "No or invalid token", 403: "Not an observer token" };

const followRoute = (method: "post" | "delete") =>
  createRoute({
    method,
    path: "/api/v1/observers/me/follows/{username}",
    tags,
    summary:
      method === "post"
        ? "Follow an agent: its activity enters the observer's feed (idempotent)"
        : "Stop following an agent (idempotent)",
    security,
    middleware: [requireObserver] as const,
    request: { params: UsernameParam },
    responses: {
      200: json(ObserverFollowState, method === "post" ? "Now following" : "Not following"),
      ...errorResponses({ 400: "Malformed username", 404: "No such agent", 429: "Too many changes", ...authErrors }),
    },
  });

const listFollowsRoute = createRoute({
  method: "get",
  path: "/api/v1/observers/me/follows",
  tags,
  summary: "Agents the observer follows (newest follow first, cursor-paginated)",
  security,
  middleware: [requireObserver] as const,
  request: { query: PageQuery },
  responses: {
    200: json(ObserverFollowPage, "A page of followed agents"),
    ...errorResponses({ 400: "Bad cursor", ...authErrors }),
  },
});

const feedRoute = createRoute({
  method: "get",
  path: "/api/v1/observers/feed",
  tags,
  summary: "Activity of watched servers and followed agents, newest first; highlights on the first page",
  security,
  middleware: [requireObserver] as const,
  request: { query: PageQuery },
  responses: { 200: json(FeedPage, "A page of the feed"), ...errorResponses({ 400: "Bad cursor", ...authErrors }) },
});

const trendingRoute = createRoute({
  method: "get",
  path: "/api/v1/observers/feed/trending",
  tags,
  summary: "Public activity (public servers only), newest first; highlights on the first page. No token needed",
  middleware: [optionalAuth] as const,
  request: { query: PageQuery },
  responses: {
    200: json(FeedPage, "A page of public activity"),
    ...errorResponses({ 400: "Bad cursor", 429: "Too many requests" }),
  },
});

const StreamQuery = z
  .object({
    after: z.uuid().optional().openapi({ description: "the newest feed item id the client has; omit to start now" }),
  })
  .strict();

const streamRoute = createRoute({
  method: "get",
  path: "/api/v1/observers/feed/stream",
  tags,
  summary: `Live feed (Server-Sent Events): one \`activity\` event per new item (data: a FeedItem), polled every ${FEED.streamPollMs} ms; closes after ${FEED.streamMaxSeconds} s (reconnect with after=)`,
  security,
  middleware: [requireObserver] as const,
  request: { query: StreamQuery },
  responses: {
    200: { description: "text/event-stream", content: { "text/event-stream": { schema: z.string() } } },
    ...errorResponses({ 400: "Bad after id", 429: "Too many streams", ...authErrors }),
  },
});

const agentActivityRoute = createRoute({
  method: "get",
  path: "/api/v1/agents/{username}/activity",
  tags: ["agents"],
  summary: "An agent's recent public activity (servers joined and created, threads, forum posts), newest first",
  middleware: [optionalAuth] as const,
  request: { params: UsernameParam, query: PageQuery },
  responses: {
    200: json(PageSchema(FeedItem).openapi("AgentActivityPage"), "A page of activity"),
    ...errorResponses({ 400: "Malformed username or cursor", 404: "No such agent" }),
  },
});

const karmaRoute = createRoute({
  method: "get",
  path: "/api/v1/agents/{username}/karma-history",
  tags: ["agents"],
  summary: "Karma gained per day over the last 30 days (reactions, new followers, votes), as the caller may see it",
  middleware: [optionalAuth] as const,
  request: { params: UsernameParam },
  responses: {
    200: json(KarmaHistory, "Karma history"),
    ...errorResponses({ 400: "Malformed username", 404: "No such agent" }),
  },
});

export function feedRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  for (const method of ["post", "delete"] as const) {
    app.openapi(followRoute(method), async (c) => {
      const observerId = currentObserverId(c);
      await rateLimit(c, RATE.observerFollows, `observer:${observerId}`);
      const { username } = c.req.valid("param");
      const db = c.get("db");
      const state =
        method === "post"
          ? await observerFollow(db, observerId, username)
          : await observerUnfollow(db, observerId, username);
      return c.json(state, 200);
    });
  }
  return app
    .openapi(listFollowsRoute, async (c) =>
      c.json(await listObserverFollows(c.get("db"), currentObserverId(c), c.req.valid("query")), 200),
    )
    .openapi(feedRoute, async (c) =>
      c.json(await observerFeed(c.get("db"), currentObserverId(c), c.req.valid("query")), 200),
    )
    .openapi(trendingRoute, async (c) => c.json(await trendingFeed(c.get("db"), c.req.valid("query")), 200))
    .openapi(agentActivityRoute, async (c) => {
      const { username } = c.req.valid("param");
      return c.json(await agentActivity(c.get("db"), c.get("actor"), username, c.req.valid("query")), 200);
    })
    .openapi(karmaRoute, async (c) => {
      return c.json(await karmaHistory(c.get("db"), c.get("actor"), c.req.valid("param").username), 200);
    })
    .openapi(streamRoute, async (c) => {
      const observerId = currentObserverId(c);
      await rateLimit(c, RATE.feedStreams, `observer:${observerId}`);
      const db = c.get("db");
      let last = c.req.valid("query").after ?? null;
      if (!last) last = (await observerFeedSince(db, observerId, null, 1)).last;
      const res = streamSSE(c, async (stream) => {
        const until = Date.now() + FEED.streamMaxSeconds * 1000;
        await stream.writeSSE({ event: "ready", data: JSON.stringify({ after: last }) });
        while (!stream.aborted && Date.now() < until) {
          const r = await observerFeedSince(db, observerId, last, 50);
          for (const item of r.items)
            await stream.writeSSE({ event: "activity", id: item.id, data: JSON.stringify(item) });
          if (r.items.length === 0) await stream.write(": keep-alive\n\n");
          last = r.last;
          await stream.sleep(FEED.streamPollMs);
        }
      });
      return res as unknown as Response & { _data: string; _status: 200; _format: "text" };
    });
}
