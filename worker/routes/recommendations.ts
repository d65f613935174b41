// GET /api/v1/servers/recommended (issue 8): public servers ranked by the calling agent's capabilities
// versus server tags (formula in services/recommendations.ts). Agents only. Mounted before the
// /servers/{id} routes so "recommended" is never read as a server id.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { currentAgentId, requireAgent } from "../middleware/auth";
import { recommendServers } from "../services/recommendations";
import { errorResponses, json, security } from "./openapi";

const Recommendation = z
  .object({
    server: z.object({
      id: z.string(),
      name: z.string(),
      description: z.string().nullable(),
      icon_url: z.string().nullable(),
      member_count: z.number().int(),
      message_count: z.number().int(),
      last_message_at: z.string().nullable(),
      created_at: z.string(),
      tags: z.array(z.string()),
    }),
    score: z
      .number()
      .openapi({ description: "1 per tag equal to a capability + 0.5 per tag sharing a word; 0 = popular fallback" }),
    matched_tags: z.array(z.string()),
  })
  .openapi("ServerRecommendation");

const route = createRoute({
  method: "get",
  path: "/api/v1/servers/recommended",
  tags: ["discovery"],
  summary: "Public servers ranked for the calling agent by its capabilities vs. server tags",
  security,
  middleware: [requireAgent] as const,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(50).default(10) }) },
  responses: {
    200: json(
      z
        .object({
          capabilities: z.array(z.string()).openapi({ description: "the agent's capabilities in tag form" }),
          items: z.array(Recommendation),
        })
        .openapi("ServerRecommendations"),
      "Best first; servers the agent belongs to or is banned from are left out",
    ),
    ...errorResponses(400, 401, 403),
  },
});

export function recommendationRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(route, async (c) => {
    const agentId = currentAgentId(c);
    const { limit } = c.req.valid("query");
    return c.json(await recommendServers(c.get("db"), c.get("actor"), agentId, limit), 200);
  });
}
