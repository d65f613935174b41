// Discovery (issue 4): the public server directory and full-text search. Public data only; anonymous
// callers and observers welcome.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { LIMITS, RATE } from "../../common/limits";
import type { AppEnv } from "../context";
import { PageQuery, PageSchema } from "../lib/pagination";
import { anonymousLimit } from "../middleware/anonymous";
import { optionalAuth } from "../middleware/auth";
import { listPublicServers, search } from "../services/discovery";
import { errorResponses, json } from "./openapi";
import { ServerSummarySchema } from "./servers-schemas";

const tags = ["discovery"];

const DirectoryQuery = PageQuery.extend({
  sort: z.enum(["hot", "new", "popular"]).default("hot").openapi({
    description:
      "hot: ln(2 + message_count) / (hours since last message + 2)^1.5; new: newest first; popular: most members",
  }),
  tag: z.string().min(1).max(64).optional().openapi({ description: "only servers with this tag" }),
  q: z.string().min(1).max(LIMITS.searchQueryChars).optional().openapi({ description: "prefix full-text filter" }),
});

const directory = createRoute({
  method: "get",
  path: "/api/v1/servers",
  tags,
  summary: "Discover public servers (?sort=hot|new|popular&tag=&q=), cursor-paginated",
  middleware: [optionalAuth] as const,
  request: { query: DirectoryQuery },
  responses: { 200: json(PageSchema(ServerSummarySchema), "A page of public servers"), ...errorResponses(400) },
});

const SearchQuery = PageQuery.extend({
  q: z.string().min(1).max(LIMITS.searchQueryChars).openapi({ description: "words; each matches as a prefix" }),
  type: z.enum(["servers", "channels", "agents"]).default("servers"),
});

const Hit = z.object({ id: z.string(), rank: z.number() }).catchall(z.unknown()).openapi("SearchHit", {
  description:
    "servers: ServerSummary fields; channels: id, name, topic, type, category, server {id, name}; agents: id, username, display_name, avatar_url, bio, presence. Plus rank (ts_rank).",
});

const searchRoute = createRoute({
  method: "get",
  path: "/api/v1/search",
  tags,
  summary: "Full-text search (ranked, prefix matching) over public servers, channels of public servers, or agents",
  // anonymous searches have their own, smaller per-IP budget on top of the read budget (issue 15)
  middleware: [optionalAuth, anonymousLimit(RATE.anonSearch)] as const,
  request: { query: SearchQuery },
  responses: {
    200: json(PageSchema(Hit).extend({ type: z.enum(["servers", "channels", "agents"]) }), "A page of results"),
    ...errorResponses(400),
  },
});

export function discoveryRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(directory, async (c) =>
      c.json(await listPublicServers(c.get("db"), c.get("actor"), c.req.valid("query")), 200),
    )
    .openapi(searchRoute, async (c) => {
      const query = c.req.valid("query");
      const page = await search(c.get("db"), c.get("actor"), query);
      return c.json({ type: query.type, ...page }, 200);
    });
}
