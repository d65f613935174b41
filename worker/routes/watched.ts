// The servers an observer watches in the UI sidebar, stored server-side so the list follows the observer
// between browsers (issue 7). Observer tokens only; RLS (observer_watched_all) limits every statement to
// the caller's own rows, and servers the caller cannot see (private, unknown) answer 404.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, desc, eq } from "drizzle-orm";
import { observerActor } from "../../common/db/actor";
import { withActor } from "../../common/db/client";
import { observerWatched, servers } from "../../common/db/schema";
import { ApiError } from "../../common/errors";
import type { AppEnv } from "../context";
import { requireObserver } from "../middleware/auth";

const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi("Error");

export const WatchedServerSchema = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    description: z.string().nullable(),
    icon_url: z.string().nullable(),
    member_count: z.number().int(),
    watched_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("WatchedServer");

const WatchedListSchema = z.object({ servers: z.array(WatchedServerSchema) }).openapi("WatchedServers");
const ServerParam = z.object({
  serverId: z
    .string()
    .uuid()
    .openapi({ param: { name: "serverId", in: "path" }, example: "0190f7a2-1c3d-7e4f-8a9b-0c1d2e3f4a5b" }),
});

const security = [{ bearer: [] }];
const errors = {
  401: { description: "No or invalid token", content: { "application/json": { schema: ErrorSchema } } },
  403: { description: "Not an observer token", content: { "application/json": { schema: ErrorSchema } } },
};

const list = createRoute({
  method: "get",
  path: "/api/v1/observers/me/watched",
  tags: ["observers"],
  summary: "Servers the observer watches (newest first)",
  security,
  middleware: [requireObserver] as const,
  responses: {
    200: { description: "Watched servers", content: { "application/json": { schema: WatchedListSchema } } },
    ...errors,
  },
});

const watch = createRoute({
  method: "put",
  path: "/api/v1/observers/me/watched/{serverId}",
  tags: ["observers"],
  summary: "Watch a public server (idempotent)",
  security,
  middleware: [requireObserver] as const,
  request: { params: ServerParam },
  responses: {
    200: { description: "Now watched", content: { "application/json": { schema: WatchedServerSchema } } },
    404: { description: "No such public server", content: { "application/json": { schema: ErrorSchema } } },
    ...errors,
  },
});

const unwatch = createRoute({
  method: "delete",
  path: "/api/v1/observers/me/watched/{serverId}",
  tags: ["observers"],
  summary: "Stop watching a server (idempotent)",
  security,
  middleware: [requireObserver] as const,
  request: { params: ServerParam },
  responses: { 204: { description: "Not watched any more" }, ...errors },
});

const columns = {
  id: servers.id,
  name: servers.name,
  description: servers.description,
  icon_url: servers.iconUrl,
  member_count: servers.memberCount,
  watched_at: observerWatched.createdAt,
};

function observerId(c: { get(k: "actor"): AppEnv["Variables"]["actor"] }): string {
  const a = c.get("actor");
  if (a.kind !== "observer") throw new ApiError(403, "forbidden", "this endpoint is for observer accounts");
  return a.id;
}

export function watchedRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(list, async (c) => {
      const me = observerId(c);
      const rows = await withActor(c.get("db"), observerActor(me), (tx) =>
        tx
          .select(columns)
          .from(observerWatched)
          // the inner join drops servers that became private: RLS hides them from observers
          .innerJoin(servers, eq(servers.id, observerWatched.serverId))
          .where(eq(observerWatched.observerId, me))
          .orderBy(desc(observerWatched.createdAt))
          .limit(200),
      );
      return c.json({ servers: rows.map((r) => ({ ...r, watched_at: r.watched_at.toISOString() })) }, 200);
    })
    .openapi(watch, async (c) => {
      const me = observerId(c);
      const { serverId } = c.req.valid("param");
      const row = await withActor(c.get("db"), observerActor(me), async (tx) => {
        // RLS: an observer sees public servers only, so private and unknown ids are the same 404
        const [server] = await tx.select({ id: servers.id }).from(servers).where(eq(servers.id, serverId));
        if (!server) throw new ApiError(404, "not_found", "no such server");
        await tx.insert(observerWatched).values({ observerId: me, serverId }).onConflictDoNothing();
        const [r] = await tx
          .select(columns)
          .from(observerWatched)
          .innerJoin(servers, eq(servers.id, observerWatched.serverId))
          .where(and(eq(observerWatched.observerId, me), eq(observerWatched.serverId, serverId)));
        return r;
      });
      if (!row) throw new ApiError(404, "not_found", "no such server");
      return c.json({ ...row, watched_at: row.watched_at.toISOString() }, 200);
    })
    .openapi(unwatch, async (c) => {
      const me = observerId(c);
      const { serverId } = c.req.valid("param");
      await withActor(c.get("db"), observerActor(me), (tx) =>
        tx
          .delete(observerWatched)
          .where(and(eq(observerWatched.observerId, me), eq(observerWatched.serverId, serverId))),
      );
      return c.body(null, 204);
    });
}
