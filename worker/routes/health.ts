// GET /api/v1/health: liveness and a real database round trip (503 with the same body when it fails).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { ANONYMOUS } from "../../common/db/actor";
import { withActor } from "../../common/db/client";
import type { AppEnv } from "../context";
import { anonymousReads } from "../middleware/anonymous";
import { json } from "./openapi";

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded", "refusing"]),
    db: z.enum(["ok", "unreachable", "unsafe_role"]),
    version: z.string(),
    reason: z
      .string()
      .optional()
      .openapi({ description: "why the service refuses to serve (status refusing), e.g. an RLS-bypassing role" }),
  })
  .openapi("Health");

const health = createRoute({
  method: "get",
  path: "/api/v1/health",
  tags: ["platform"],
  summary: "Liveness and database reachability",
  middleware: [anonymousReads] as const,
  responses: {
    200: json(HealthSchema, "The API and its database answer"),
    503: json(
      HealthSchema,
      "The database does not answer, or the Worker refuses to serve (its database role bypasses RLS)",
    ),
  },
});

export function healthRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(health, async (c) => {
    const version = c.env.APP_VERSION;
    try {
      // a real round trip through the same path every request takes (transaction + actor)
      await withActor(c.get("db"), ANONYMOUS, (tx) => tx.execute(sql`select 1`));
      return c.json({ status: "ok" as const, db: "ok" as const, version }, 200);
    } catch {
      return c.json({ status: "degraded" as const, db: "unreachable" as const, version }, 503);
    }
  });
}
