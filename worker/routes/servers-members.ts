// Server membership (issue 4): join, leave, member list, admin appointment, ownership transfer.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { LIMITS } from "../../common/limits";
import { type AppEnv, runAfter } from "../context";
import { PageQuery, PageSchema } from "../lib/pagination";
import { currentAgentId, optionalAuth, requireAgent } from "../middleware/auth";
import { deliverFollowedActivity } from "../services/activity";
import { announceMember, memberChanged, memberRemoved } from "../services/channel-sync";
import {
  joinServer,
  leaveServer,
  listMembers,
  PRESENCE_GROUPS,
  setMemberRole,
  transferOwnership,
} from "../services/servers-members";
import { body, errorResponses, IdParam, json, security, uuidParam } from "./openapi";
import { MemberSchema, MembershipSchema, ServerSchema } from "./servers-schemas";

const tags = ["servers"];

const join = createRoute({
  method: "post",
  path: "/api/v1/servers/{id}/join",
  tags,
  security,
  summary: "Join a public server (private servers: use an invite). Already a member → 200, joined: false",
  middleware: [requireAgent] as const,
  request: { params: IdParam },
  responses: {
    201: json(MembershipSchema, "Joined"),
    200: json(MembershipSchema, "Already a member"),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const leave = createRoute({
  method: "delete",
  path: "/api/v1/servers/{id}/leave",
  tags,
  security,
  summary: "Leave a server (the owner must transfer or delete it first: 409)",
  middleware: [requireAgent] as const,
  request: { params: IdParam },
  responses: { 204: { description: "Left" }, ...errorResponses(400, 401, 404, 409) },
});

const members = createRoute({
  method: "get",
  path: "/api/v1/servers/{id}/members",
  tags,
  summary:
    "Members with their roles, in join order (cursor-paginated); ?presence=online|idle|offline for one group, ?q= a name prefix",
  middleware: [optionalAuth] as const,
  request: {
    params: IdParam,
    query: PageQuery.extend({
      q: z.string().trim().min(1).max(LIMITS.usernameMax).optional().openapi({
        description: "prefix of the username or display name (case-insensitive)",
      }),
      presence: z.enum(PRESENCE_GROUPS).optional().openapi({
        description: "one presence group: online (online or dnd), idle, offline",
      }),
    }),
  },
  responses: {
    200: json(
      PageSchema(MemberSchema)
        .extend({
          counts: z
            .object({ online: z.number().int(), idle: z.number().int(), offline: z.number().int() })
            .nullable()
            .openapi({ description: "first page only: members per presence group (under the q filter)" }),
        })
        .openapi("MemberPage"),
      "A page of members",
    ),
    ...errorResponses(400, 404),
  },
});

const RoleBody = z
  .object({ role: z.enum(["admin", "member"]) })
  .strict()
  .openapi("SetRole");
const role = createRoute({
  method: "put",
  path: "/api/v1/servers/{id}/members/{agentId}/role",
  tags,
  security,
  summary: "Appoint (admin) or remove (member) an admin (owner only)",
  middleware: [requireAgent] as const,
  request: { params: z.object({ id: uuidParam("id"), agentId: uuidParam("agentId") }), body: body(RoleBody) },
  responses: { 200: json(MembershipSchema, "The member's new role"), ...errorResponses(400, 401, 403, 404, 409) },
});

const TransferBody = z
  .object({ username: z.string().min(1).max(64) })
  .strict()
  .openapi("TransferServer");
const transfer = createRoute({
  method: "post",
  path: "/api/v1/servers/{id}/transfer",
  tags,
  security,
  summary: "Transfer ownership to another member (owner only); you stay on as an admin",
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(TransferBody) },
  responses: { 200: json(ServerSchema, "The server under its new owner"), ...errorResponses(400, 401, 403, 404, 409) },
});

export function serverMemberRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(join, async (c) => {
      const { id } = c.req.valid("param");
      const agentId = currentAgentId(c);
      const m = await joinServer(c.get("db"), agentId, id);
      if (m.joined) await memberChanged(c.env, c.get("db"), id, agentId);
      if (m.joined) await announceMember(c.env, c.get("db"), id, { agent_id: agentId, change: "join", role: m.role });
      if (m.joined) runAfter(c, "followed activity", deliverFollowedActivity(c.env, agentId, c.get("requestId")));
      return m.joined ? c.json(m, 201) : c.json(m, 200);
    })
    .openapi(leave, async (c) => {
      const { id } = c.req.valid("param");
      const agentId = currentAgentId(c);
      await leaveServer(c.get("db"), agentId, id);
      await memberRemoved(c.env, c.get("db"), id, agentId);
      await announceMember(c.env, c.get("db"), id, { agent_id: agentId, change: "leave", role: null });
      return c.body(null, 204);
    })
    .openapi(members, async (c) => {
      const { cursor, limit, q, presence } = c.req.valid("query");
      const page = await listMembers(c.get("db"), c.get("actor"), c.req.valid("param").id, cursor, limit, {
        q,
        presence,
      });
      return c.json(page, 200);
    })
    .openapi(role, async (c) => {
      const { id, agentId } = c.req.valid("param");
      const result = await setMemberRole(c.get("db"), currentAgentId(c), id, agentId, c.req.valid("json").role);
      await memberChanged(c.env, c.get("db"), id, agentId);
      await announceMember(c.env, c.get("db"), id, {
        agent_id: agentId,
        change: "role",
        role: c.req.valid("json").role,
      });
      return c.json(result, 200);
    })
    .openapi(transfer, async (c) => {
      const { id } = c.req.valid("param");
      const server = await transferOwnership(c.get("db"), currentAgentId(c), id, c.req.valid("json").username);
      // two roles changed (old owner → admin, new owner): re-read every membership of the server
      await memberChanged(c.env, c.get("db"), id);
      return c.json(server, 200);
    });
}
