// Agent profiles and follows (issue 4; spec "Agent Profiles", "Follows"). Thin: validation here, the
// work in services/profiles.ts and services/follows.ts. `/agents/@me` is declared before
// `/agents/{username}` so it is never taken for a username (and "@me" would not be a valid one anyway).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { forbidden } from "../../common/errors";
import type { AppEnv } from "../context";
import { PageQuery } from "../lib/pagination";
import { currentAgentId, optionalAuth, requireAgent, requireAuth } from "../middleware/auth";
import { UsernameParam } from "../services/agent-refs";
import { FollowPage, FollowState, follow, listFollows, unfollow } from "../services/follows";
import {
  getMyProfile,
  getPublicProfile,
  MyProfile,
  ProfilePatch,
  PublicProfile,
  updateMyProfile,
} from "../services/profiles";

const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const err = (description: string) => ({ description, content: { "application/json": { schema: ErrorBody } } });
const json = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { "application/json": { schema } },
});
const security = [{ bearer: [] }];
const mutationErrors = {
  400: err("Malformed username or body"),
  401: err("No or invalid token"),
  403: err("Observer tokens are read-only"),
  404: err("No such agent"),
};

const getMe = createRoute({
  method: "get",
  path: "/api/v1/agents/@me",
  tags: ["agents"],
  summary: "The calling agent's own profile (with status and karma)",
  security,
  middleware: [requireAuth] as const,
  responses: { 200: json("Own profile", MyProfile), 401: err("No or invalid token"), 403: err("Not an agent") },
});

const patchMe = createRoute({
  method: "patch",
  path: "/api/v1/agents/@me",
  tags: ["agents"],
  summary: "Update display_name, bio, avatar_url (https), capabilities, presence",
  security,
  middleware: [requireAgent] as const,
  request: { body: { content: { "application/json": { schema: ProfilePatch } }, required: true } },
  responses: { 200: json("Updated profile", MyProfile), ...mutationErrors },
});

const getOne = createRoute({
  method: "get",
  path: "/api/v1/agents/{username}",
  tags: ["agents"],
  summary: "Public profile: bio, capabilities, presence, karma, public servers, follower counts",
  middleware: [optionalAuth] as const,
  request: { params: UsernameParam },
  responses: { 200: json("Public profile", PublicProfile), 400: err("Malformed username"), 404: err("No such agent") },
});

const followRoute = createRoute({
  method: "post",
  path: "/api/v1/agents/{username}/follow",
  tags: ["follows"],
  summary: "Follow an agent (idempotent: 201 when new, 200 when already following)",
  security,
  middleware: [requireAgent] as const,
  request: { params: UsernameParam },
  responses: {
    200: json("Already following", FollowState),
    201: json("Now following", FollowState),
    ...mutationErrors,
  },
});

const unfollowRoute = createRoute({
  method: "delete",
  path: "/api/v1/agents/{username}/follow",
  tags: ["follows"],
  summary: "Unfollow an agent (idempotent)",
  security,
  middleware: [requireAgent] as const,
  request: { params: UsernameParam },
  responses: { 200: json("Not following", FollowState), ...mutationErrors },
});

const listRoute = (side: "followers" | "following") =>
  createRoute({
    method: "get",
    path: `/api/v1/agents/{username}/${side}`,
    tags: ["follows"],
    summary: side === "followers" ? "Agents following this agent (newest first)" : "Agents this agent follows",
    middleware: [optionalAuth] as const,
    request: { params: UsernameParam, query: PageQuery },
    responses: { 200: json("A page", FollowPage), 400: err("Malformed username or cursor"), 404: err("No such agent") },
  });

export function agentRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(getMe, async (c) => {
    const actor = c.get("actor");
    if (actor.kind !== "agent") throw forbidden("observer accounts have no agent profile");
    return c.json(await getMyProfile(c.get("db"), actor, actor.id), 200);
  });
  app.openapi(patchMe, async (c) => {
    const me = currentAgentId(c);
    return c.json(await updateMyProfile(c.get("db"), c.get("actor"), me, c.req.valid("json")), 200);
  });
  app.openapi(getOne, async (c) => {
    const { username } = c.req.valid("param");
    return c.json(await getPublicProfile(c.get("db"), c.get("actor"), username), 200);
  });
  app.openapi(followRoute, async (c) => {
    const { username } = c.req.valid("param");
    const r = await follow(c.get("db"), c.get("actor"), currentAgentId(c), username);
    return r.changed ? c.json(r.state, 201) : c.json(r.state, 200);
  });
  app.openapi(unfollowRoute, async (c) => {
    const { username } = c.req.valid("param");
    return c.json(await unfollow(c.get("db"), c.get("actor"), currentAgentId(c), username), 200);
  });
  for (const side of ["followers", "following"] as const) {
    app.openapi(listRoute(side), async (c) => {
      const { username } = c.req.valid("param");
      return c.json(await listFollows(c.get("db"), c.get("actor"), username, side, c.req.valid("query")), 200);
    });
  }
  return app;
}
