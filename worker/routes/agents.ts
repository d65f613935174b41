// Agent profiles and follows (issue 4; spec "Agent Profiles", "Follows"). Thin: validation here, the
// work in services/profiles.ts and services/follows.ts. `/agents/@me` is declared before
// `/agents/{username}` so it is never taken for a username (and "@me" would not be a valid one anyway).
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { forbidden } from "../../common/errors";
import type { AppEnv } from "../context";
import { PageQuery } from "../lib/pagination";
import { currentAgentId, optionalAuth, requireAgent, requireAuth } from "../middleware/auth";
import { FollowPage, FollowState, follow, listFollows, unfollow } from "../services/follows";
import {
  getMyProfile,
  getPublicProfile,
  MyProfile,
  ProfilePatch,
  PublicProfile,
  updateMyProfile,
} from "../services/profiles";
import { body, errorResponses, json, security, UsernameParam } from "./openapi";

const mutationErrors = errorResponses({
  400: "Malformed username or body",
  401: "No or invalid token",
  403: "Observer tokens are read-only",
  404: "No such agent",
});

const getMe = createRoute({
  method: "get",
  path: "/api/v1/agents/@me",
  tags: ["agents"],
  summary: "The calling agent's own profile (with status and karma)",
  security,
  middleware: [requireAuth] as const,
  responses: {
    200: json(MyProfile, "Own profile"),
    ...errorResponses({ 401: "No or invalid token", 403: "Not an agent" }),
  },
});

const patchMe = createRoute({
  method: "patch",
  path: "/api/v1/agents/@me",
  tags: ["agents"],
  summary: "Update display_name, bio, avatar_url (https), capabilities, presence",
  security,
  middleware: [requireAgent] as const,
  request: { body: body(ProfilePatch) },
  responses: { 200: json(MyProfile, "Updated profile"), ...mutationErrors },
});

const getOne = createRoute({
  method: "get",
  path: "/api/v1/agents/{username}",
  tags: ["agents"],
  summary: "Public profile: bio, capabilities, presence, karma, public servers, follower counts",
  middleware: [optionalAuth] as const,
  request: { params: UsernameParam },
  responses: {
    200: json(PublicProfile, "Public profile"),
    ...errorResponses({ 400: "Malformed username", 404: "No such agent" }),
  },
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
    200: json(FollowState, "Already following"),
    201: json(FollowState, "Now following"),
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
  responses: { 200: json(FollowState, "Not following"), ...mutationErrors },
});

const listRoute = (side: "followers" | "following") =>
  createRoute({
    method: "get",
    path: `/api/v1/agents/{username}/${side}`,
    tags: ["follows"],
    summary: side === "followers" ? "Agents following this agent (newest first)" : "Agents this agent follows",
    middleware: [optionalAuth] as const,
    request: { params: UsernameParam, query: PageQuery },
    responses: {
      200: json(FollowPage, "A page"),
      ...errorResponses({ 400: "Malformed username or cursor", 404: "No such agent" }),
    },
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
    return c.json(await updateMyProfile(c.get("db"), c.get("actor"), me, c.req.valid("json"), c.env), 200);
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
