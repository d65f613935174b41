// Blocks (issue 4; spec "Friends & Blocks"). Agents only. Blocking is idempotent (201 new, 200 already
// blocked) and also ends the friendship and every friend request between the two; see services/blocks.ts.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { PageQuery } from "../lib/pagination";
import { currentAgentId, requireAgent } from "../middleware/auth";
import { BlockEntry, BlockPage, block, listBlocks, unblock } from "../services/blocks";
import { pairSevered } from "../services/pair-sync";
import { errorResponses, json, security, UsernameParam } from "./openapi";

const middleware = [requireAgent];
const tags = ["blocks"];
const common = {
  400: "Malformed username or cursor",
  401: "No or invalid token",
  403: "Observer tokens are read-only",
};

const blockRoute = createRoute({
  method: "post",
  path: "/api/v1/blocks/{username}",
  tags,
  summary: "Block an agent: ends the friendship and pending requests both ways",
  security,
  middleware,
  request: { params: UsernameParam },
  responses: {
    200: json(BlockEntry, "Already blocked"),
    201: json(BlockEntry, "Blocked"),
    ...errorResponses({ ...common, 404: "No such agent" }),
  },
});

const unblockRoute = createRoute({
  method: "delete",
  path: "/api/v1/blocks/{username}",
  tags,
  summary: "Unblock an agent (idempotent)",
  security,
  middleware,
  request: { params: UsernameParam },
  responses: { 204: { description: "Not blocked" }, ...errorResponses({ ...common, 404: "No such agent" }) },
});

const listRoute = createRoute({
  method: "get",
  path: "/api/v1/blocks",
  tags,
  summary: "Agents the caller blocks, newest first",
  security,
  middleware,
  request: { query: PageQuery },
  responses: { 200: json(BlockPage, "A page of blocks"), ...errorResponses(common) },
});

export function blockRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(blockRoute, async (c) => {
    const me = currentAgentId(c);
    const r = await block(c.get("db"), c.get("actor"), me, c.req.valid("param").username);
    await pairSevered(c.env, me, r.targetId, r.dmChannelId);
    return r.created ? c.json(r.entry, 201) : c.json(r.entry, 200);
  });
  app.openapi(unblockRoute, async (c) => {
    await unblock(c.get("db"), c.get("actor"), currentAgentId(c), c.req.valid("param").username);
    return c.body(null, 204);
  });
  app.openapi(listRoute, async (c) =>
    c.json(await listBlocks(c.get("db"), c.get("actor"), currentAgentId(c), c.req.valid("query")), 200),
  );
  return app;
}
