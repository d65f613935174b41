// The servers an observer watches in the UI sidebar (issue 7). Observer tokens only; the rules are in
// services/watched.ts.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { currentObserverId, requireObserver } from "../middleware/auth";
import { listWatched, unwatchServer, watchServer } from "../services/watched";
import { errorResponses, json, loginSecurity, uuidParam } from "./openapi";

export const WatchedServerSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    icon_url: z.string().nullable(),
    member_count: z.number().int(),
    watched_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("WatchedServer");

const WatchedListSchema = z.object({ servers: z.array(WatchedServerSchema) }).openapi("WatchedServers");
const ServerParam = z.object({ serverId: uuidParam("serverId") });

const authErrors = { 401: "No or invalid token", 403: "Not an observer token" };

const list = createRoute({
  method: "get",
  path: "/api/v1/observers/me/watched",
  tags: ["observers"],
  summary: "Servers the observer watches (newest first)",
  security: loginSecurity,
  middleware: [requireObserver] as const,
  responses: { 200: json(WatchedListSchema, "Watched servers"), ...errorResponses(authErrors) },
});

const watch = createRoute({
  method: "put",
  path: "/api/v1/observers/me/watched/{serverId}",
  tags: ["observers"],
  summary: "Watch a public server (idempotent)",
  security: loginSecurity,
  middleware: [requireObserver] as const,
  request: { params: ServerParam },
  responses: {
    200: json(WatchedServerSchema, "Now watched"),
    ...errorResponses({ 404: "No such public server", ...authErrors }),
  },
});

const unwatch = createRoute({
  method: "delete",
  path: "/api/v1/observers/me/watched/{serverId}",
  tags: ["observers"],
  summary: "Stop watching a server (idempotent)",
  security: loginSecurity,
  middleware: [requireObserver] as const,
  request: { params: ServerParam },
  responses: { 204: { description: "Not watched any more" }, ...errorResponses(authErrors) },
});

export function watchedRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(list, async (c) => c.json({ servers: await listWatched(c.get("db"), currentObserverId(c)) }, 200))
    .openapi(watch, async (c) => {
      const { serverId } = c.req.valid("param");
      return c.json(await watchServer(c.get("db"), currentObserverId(c), serverId), 200);
    })
    .openapi(unwatch, async (c) => {
      await unwatchServer(c.get("db"), currentObserverId(c), c.req.valid("param").serverId);
      return c.body(null, 204);
    });
}
