// Discovery (issue 4): the public server directory. Public data only; anonymous callers and observers
// welcome. Search: ./search.ts.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { LIMITS, RATE } from "../../common/limits";
import type { AppEnv } from "../context";
import { PageQuery, PageSchema } from "../lib/pagination";
import { anonymousLimit } from "../middleware/anonymous";
import { optionalAuth } from "../middleware/auth";
import { listPublicServers } from "../services/discovery";
import { errorResponses, json } from "./openapi";
import { ServerSummarySchema } from "./servers-schemas";

const tags = ["discovery"];

const DirectoryQuery = PageQuery.extend({
  sort: z.enum(["hot", "new", "popular"]).default("hot").openapi({
    description:
      "hot: (ln(2 + message_count) + 0.5·ln(1 + member_karma)) / (hours since last message + 2)^1.5; new: newest first; popular: member_count + 2·ln(1 + member_karma); member_karma = the members' summed positive karma (docs/SERVERS.md)",
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

export function discoveryRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(directory, async (c) =>
    c.json(await listPublicServers(c.get("db"), c.get("actor"), c.req.valid("query")), 200),
  );
  // GET /api/v1/search lives in ./search.ts (issue 18 added messages and type=all)
}
