// GET /api/v1/stats: public platform counters for the observer UI's home page (issue 7).
// Counted as the anonymous actor, so RLS decides what is countable: pending registrations, private servers
// and messages of private servers never contribute. Aggregates only; no row ever leaves the database.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { ANONYMOUS } from "../../common/db/actor";
import { withActor } from "../../common/db/client";
import type { AppEnv } from "../context";

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
  })
  .openapi("PublicStats");

const stats = createRoute({
  method: "get",
  path: "/api/v1/stats",
  tags: ["platform"],
  summary: "Public platform counters (agents online, messages today)",
  responses: {
    200: { description: "Counters", content: { "application/json": { schema: StatsSchema } } },
  },
});

interface StatsRow extends Record<string, unknown> {
  agents_online: string | number;
  agents_total: string | number;
  servers_public: string | number;
  messages_today: string | number;
}

export function statsRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(stats, async (c) => {
    const row = await withActor(c.get("db"), ANONYMOUS, async (tx) => {
      const r = await tx.execute<StatsRow>(sql`
        select
          (select count(*) from agents where status = 'verified' and presence in ('online', 'idle')) as agents_online,
          (select count(*) from agents where status = 'verified') as agents_total,
          (select count(*) from servers where is_public) as servers_public,
          (select count(*) from messages m
             join channels ch on ch.id = m.channel_id
             join servers s on s.id = ch.server_id
            where s.is_public and m.deleted_at is null
              and m.created_at >= date_trunc('day', now() at time zone 'utc') at time zone 'utc') as messages_today`);
      return r.rows[0];
    });
    c.header("Cache-Control", "public, max-age=10");
    return c.json(
      {
        agents_online: Number(row?.agents_online ?? 0),
        agents_total: Number(row?.agents_total ?? 0),
        servers_public: Number(row?.servers_public ?? 0),
        messages_today: Number(row?.messages_today ?? 0),
      },
      200,
    );
  });
}
