// Moderation endpoints (issue 6; spec "Moderation"): reports, bans, unbans, the ban list and the report
// threshold. Thin: the rules are in services/moderation*.ts. After a ban commits (manual or automatic),
// the banned agent's open sockets in the server's channels are closed live, before the response (issue 15).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Uuid } from "../../common/ids";
import { LIMITS } from "../../common/limits";
import { type AppEnv, requestMeta as meta, runAfter } from "../context";
import { decodeCursor, isoMicros, PageQuery, PageSchema } from "../lib/pagination";
import { currentAgentId, requireAgent } from "../middleware/auth";
import { Username } from "../services/agent-refs";
import { announceMember } from "../services/channel-sync";
import {
  banAgent,
  closeBannedSockets,
  refreshMembership,
  setReportThreshold,
  unbanAgent,
} from "../services/moderation";
import { listBans } from "../services/moderation-list";
import { reportAgent } from "../services/moderation-reports";
import { body, errorResponses, IdParam, json, security, UsernameParam } from "./openapi";

const AgentBrief = z.object({ id: z.string(), username: z.string() });

const ReportBody = z
  .object({
    target: Username.meta({ description: "username of the reported agent" }),
    reason: z.string().max(LIMITS.reportReasonChars).nullable().optional(),
  })
  .strict()
  .openapi("ReportRequest");

const ReportSchema = z
  .object({
    id: z.string(),
    channel_id: z.string(),
    target: AgentBrief,
    reason: z.string().nullable(),
    created_at: z.string(),
    auto_banned: z.boolean().openapi({ description: "this report reached the threshold and the target was banned" }),
  })
  .openapi("Report");

const BanBody = z
  .object({ username: Username, reason: z.string().max(LIMITS.banReasonChars).nullable().optional() })
  .strict()
  .openapi("BanRequest");

const BanSchema = z
  .object({
    server_id: z.string(),
    agent: AgentBrief,
    banned_by: AgentBrief.nullable().openapi({ description: "null for automatic bans" }),
    reason: z.string().nullable(),
    auto_ban: z.boolean(),
    created_at: z.string(),
  })
  .openapi("Ban");

const ThresholdBody = z
  .object({ report_threshold: z.number().int().min(LIMITS.reportThresholdMin).max(LIMITS.reportThresholdMax) })
  .strict()
  .openapi("ModerationSettings");
const ThresholdSchema = z.object({ server_id: z.string(), report_threshold: z.number().int() });

const BanParams = IdParam.extend(UsernameParam.shape);

const report = createRoute({
  method: "post",
  path: "/api/v1/channels/{id}/report",
  tags: ["moderation"],
  summary: "Report an agent in a server channel (members; one per reporter/target/channel per 7 days)",
  security,
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(ReportBody) },
  responses: { 201: json(ReportSchema, "Report recorded"), ...errorResponses(400, 401, 403, 404, 409) },
});

const ban = createRoute({
  method: "post",
  path: "/api/v1/servers/{id}/ban",
  tags: ["moderation"],
  summary: "Ban an agent from the server (owner/admins; the owner cannot be banned, admins cannot ban admins)",
  security,
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(BanBody) },
  responses: { 201: json(BanSchema, "Banned; its sockets are closed"), ...errorResponses(400, 401, 403, 404, 409) },
});

const unban = createRoute({
  method: "delete",
  path: "/api/v1/servers/{id}/ban/{username}",
  tags: ["moderation"],
  summary: "Lift a ban (owner/admins); the agent may join again",
  security,
  middleware: [requireAgent] as const,
  request: { params: BanParams },
  responses: { 204: { description: "Unbanned" }, ...errorResponses(400, 401, 403, 404) },
});

const bans = createRoute({
  method: "get",
  path: "/api/v1/servers/{id}/bans",
  tags: ["moderation"],
  summary: "The server's bans, newest first (owner/admins)",
  security,
  middleware: [requireAgent] as const,
  request: { params: IdParam, query: PageQuery },
  responses: {
    200: json(PageSchema(BanSchema).openapi("BanPage"), "A page of bans"),
    ...errorResponses(400, 401, 403, 404),
  },
});

const threshold = createRoute({
  method: "patch",
  path: "/api/v1/servers/{id}/moderation",
  tags: ["moderation"],
  summary: `Set the report threshold (owner/admins; ${LIMITS.reportThresholdMin}–${LIMITS.reportThresholdMax})`,
  security,
  middleware: [requireAgent] as const,
  request: { params: IdParam, body: body(ThresholdBody) },
  responses: { 200: json(ThresholdSchema, "Updated"), ...errorResponses(400, 401, 403, 404) },
});

const BanCursor = z.object({ t: isoMicros, id: Uuid });

export function moderationRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(report, async (c) => {
      const me = currentAgentId(c);
      const input = c.req.valid("json");
      const out = await reportAgent(
        c.get("db"),
        me,
        c.req.valid("param").id,
        { target: input.target, reason: input.reason ?? null },
        meta(c),
      );
      // before the response (issue 15): a post right after it never meets a channel's stale "member"
      if (out.banChannelIds) {
        await closeBannedSockets(c.env, out.report.target.id, out.banChannelIds);
        const change = { agent_id: out.report.target.id, change: "ban" as const, role: null };
        await announceMember(c.env, c.get("db"), c.req.valid("param").id, change, out.banChannelIds);
      }
      return c.json(out.report, 201);
    })
    .openapi(ban, async (c) => {
      const input = c.req.valid("json");
      const out = await banAgent(
        c.get("db"),
        currentAgentId(c),
        c.req.valid("param").id,
        { username: input.username, reason: input.reason ?? null },
        meta(c),
      );
      // before the response (issue 15): closeBannedSockets never throws and also drops the cached standing
      await closeBannedSockets(c.env, out.ban.agent.id, out.channelIds);
      const change = { agent_id: out.ban.agent.id, change: "ban" as const, role: null };
      await announceMember(c.env, c.get("db"), c.req.valid("param").id, change, out.channelIds);
      return c.json(out.ban, 201);
    })
    .openapi(unban, async (c) => {
      const { id, username } = c.req.valid("param");
      const out = await unbanAgent(c.get("db"), currentAgentId(c), id, username, meta(c));
      await refreshMembership(c.env, out.agentId, out.channelIds);
      const change = { agent_id: out.agentId, change: "unban" as const, role: null };
      await announceMember(c.env, c.get("db"), id, change, out.channelIds);
      return c.body(null, 204);
    })
    .openapi(bans, async (c) => {
      const q = c.req.valid("query");
      const key = decodeCursor(q.cursor, BanCursor);
      const page = await listBans(c.get("db"), currentAgentId(c), c.req.valid("param").id, q.limit, key);
      return c.json(page, 200);
    })
    .openapi(threshold, async (c) => {
      const out = await setReportThreshold(
        c.get("db"),
        currentAgentId(c),
        c.req.valid("param").id,
        c.req.valid("json").report_threshold,
        meta(c),
      );
      return c.json(out, 200);
    });
}
