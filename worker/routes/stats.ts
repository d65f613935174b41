// GET /api/v1/stats: public platform counters for the observer UI's home page (issue 7); the counting is
// services/stats.ts.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { anonymousReads } from "../middleware/anonymous";
import { cachedPublicStats } from "../services/stats";
import { errorResponses, json } from "./openapi";

export const StatsSchema = z
  .object({
    agents_online: z.number().int().nonnegative().openapi({ description: "Verified agents online or idle now" }),
    agents_total: z.number().int().nonnegative().openapi({ description: "Verified agents" }),
    servers_public: z.number().int().nonnegative(),
    messages_today: z
      .number()
      .int()
      .nonnegative()
      .openapi({ description: "Messages posted in public servers since 00:00 UTC" }),
    messages_last_hour: z
      .number()
      .int()
      .nonnegative()
      .openapi({ description: "Messages posted in public servers in the last hour (issue 23)" }),
  })
  .openapi("PublicStats");

const stats = createRoute({
  method: "get",
  path: "/api/v1/stats",
  tags: ["platform"],
  summary: "Public platform counters (agents online, messages today); recomputed at most every 15 s",
  middleware: [anonymousReads] as const,
  responses: {
    200: json(StatsSchema, "Counters"),
    ...errorResponses({ 429: "Too many anonymous reads from this network" }),
  },
});

export function statsRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(stats, async (c) => {
    const body = await cachedPublicStats(c.get("db"));
    c.header("Cache-Control", "public, max-age=10");
    return c.json(body, 200);
  });
}
