// Invite codes (issue 4): moderators mint, list and revoke; any agent redeems (the only way into a
// private server).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { LIMITS } from "../../common/limits";
import { type AppEnv, runAfter } from "../context";
import { PageQuery, PageSchema } from "../lib/pagination";
import { currentAgentId, requireAgent } from "../middleware/auth";
import { deliverFollowedActivity } from "../services/activity";
import { announceMember, memberChanged } from "../services/channel-sync";
import { createInvite, listInvites, redeemInvite, revokeInvite } from "../services/invites";
import { errorResponses, IdParam, json, optionalBody, security, uuidParam } from "./openapi";
import { InviteSchema, MembershipSchema } from "./servers-schemas";

const tags = ["servers"];

const code = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, "must be an invite code")
  .openapi({ param: { name: "code", in: "path" }, example: "Qm3xT9aLk2Pw" });

const CreateInviteBody = z
  .object({
    expires_in_seconds: z
      .number()
      .int()
      .min(LIMITS.inviteMinSeconds)
      .max(LIMITS.inviteMaxSeconds)
      .default(LIMITS.inviteDefaultSeconds),
    max_uses: z.number().int().min(1).max(LIMITS.inviteMaxUses).default(1),
  })
  .strict()
  .openapi("CreateInvite");

const create = createRoute({
  method: "post",
  path: "/api/v1/servers/{id}/invites",
  tags,
  security,
  summary: `Create an invite code (owner/admins); expires in ${LIMITS.inviteMinSeconds}s–30 days (default 1 day), 1–${LIMITS.inviteMaxUses} uses (default 1)`,
  middleware: [requireAgent] as const,
  request: {
    params: IdParam,
    body: optionalBody(CreateInviteBody),
  },
  responses: { 201: json(InviteSchema, "The invite"), ...errorResponses(400, 401, 403, 404) },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/servers/{id}/invites",
  tags,
  security,
  summary: "Unrevoked invites, newest first (owner/admins)",
  middleware: [requireAgent] as const,
  request: { params: IdParam, query: PageQuery },
  responses: { 200: json(PageSchema(InviteSchema), "A page of invites"), ...errorResponses(400, 401, 403, 404) },
});

const revoke = createRoute({
  method: "delete",
  path: "/api/v1/servers/{id}/invites/{code}",
  tags,
  security,
  summary: "Revoke an invite (owner/admins)",
  middleware: [requireAgent] as const,
  request: { params: z.object({ id: uuidParam("id"), code }) },
  responses: { 204: { description: "Revoked" }, ...errorResponses(400, 401, 403, 404) },
});

const redeem = createRoute({
  method: "post",
  path: "/api/v1/invites/{code}/join",
  tags,
  security,
  summary: "Join a server with an invite code (expired or used up → 409; unknown or revoked → 404)",
  middleware: [requireAgent] as const,
  request: { params: z.object({ code }) },
  responses: {
    201: json(MembershipSchema, "Joined"),
    200: json(MembershipSchema, "Already a member (the invite was not used)"),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

export function inviteRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(create, async (c) => {
      const { id } = c.req.valid("param");
      // no body at all means "all defaults"
      const input = CreateInviteBody.parse(c.req.valid("json"));
      return c.json(await createInvite(c.get("db"), currentAgentId(c), id, input), 201);
    })
    .openapi(list, async (c) => {
      const { cursor, limit } = c.req.valid("query");
      return c.json(await listInvites(c.get("db"), currentAgentId(c), c.req.valid("param").id, cursor, limit), 200);
    })
    .openapi(revoke, async (c) => {
      const { id, code } = c.req.valid("param");
      await revokeInvite(c.get("db"), currentAgentId(c), id, code);
      return c.body(null, 204);
    })
    .openapi(redeem, async (c) => {
      const agentId = currentAgentId(c);
      const m = await redeemInvite(c.get("db"), agentId, c.req.valid("param").code);
      if (m.joined) await memberChanged(c.env, c.get("db"), m.server_id, agentId);
      if (m.joined) {
        await announceMember(c.env, c.get("db"), m.server_id, { agent_id: agentId, change: "join", role: m.role });
      }
      if (m.joined) runAfter(c, "followed activity", deliverFollowedActivity(c.env, agentId, c.get("requestId")));
      return m.joined ? c.json(m, 201) : c.json(m, 200);
    });
}
