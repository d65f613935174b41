// The operators' API (issue 24; docs/OPERATIONS.md "Admin"): /api/v1/admin/*. Every route is behind
// requireAdmin (401 without a token, 404 for anyone who is not an admin). Thin: the rules and the audit
// entries are in services/admin.ts; live effects (sockets closing) run before the response.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { Uuid } from "../../common/ids";
import { RATE } from "../../common/limits";
import { metricsFor } from "../../common/metrics";
import { LOOP_MAX_AGENTS, LOOP_MIN_SHARE } from "../../durable-objects/channel/loop-breaker";
import { type AppEnv, requestMeta as meta } from "../context";
import { decodeCursor, encodeCursor, isoMicros, PageQuery, PageSchema } from "../lib/pagination";
import { requireAdmin } from "../middleware/auth";
import {
  adminSuspendAgent,
  adminUnsuspendAgent,
  fleetHealth,
  listReports,
  namesOf,
  quarantineServer,
  readAudit,
  releaseServer,
  removeServer,
  searchAgents,
  searchServers,
} from "../services/admin";
import { CLOSE, channelsClosed, serverChannelIds } from "../services/channel-sync";
import { metricRows, summarize } from "../services/metrics-query";
import { pushRevocation } from "../services/revocation";
import { body, errorResponses, IdParam, json, optionalBody, routeGroup, security } from "./openapi";

// every admin route: tag "admin", a login or key, requireAdmin (404 for anyone who is not an operator)
const adminRoute = routeGroup({ tags: ["admin"], security, middleware: [requireAdmin] as const });
const Reason = z.object({ reason: z.string().min(1).max(500) }).strict();
const OptionalReason = z.object({ reason: z.string().max(500).optional() }).strict();

const AgentView = z
  .object({ id: z.string(), username: z.string(), status: z.string(), presence: z.string() })
  .openapi("AdminAgent");
const ServerView = z
  .object({
    id: z.string(),
    name: z.string(),
    is_public: z.boolean(),
    member_count: z.number().int(),
    quarantined_at: z.string().nullable(),
    quarantine_reason: z.string().nullable(),
  })
  .openapi("AdminServer");
const ReportView = z
  .object({
    id: z.string(),
    created_at: z.string(),
    reason: z.string().nullable(),
    channel_id: z.string(),
    server_id: z.string().nullable(),
    server_name: z.string().nullable(),
    reporter: z.object({ id: z.string(), username: z.string() }),
    target: z.object({ id: z.string(), username: z.string(), status: z.string() }),
  })
  .openapi("AdminReport");
const AuditView = z
  .object({
    id: z.number().int(),
    event: z.string(),
    actor_kind: z.string(),
    actor_id: z.string().nullable(),
    target_id: z.string().nullable(),
    ip: z.string().nullable(),
    request_id: z.string().nullable(),
    detail: z.unknown(),
    created_at: z.string(),
  })
  .openapi("AuditEntry");
const MinutesQuery = z.object({ minutes: z.coerce.number().int().min(5).max(1440).default(60) });

const me = adminRoute({
  method: "get",
  path: "/api/v1/admin/me",
  summary: "Am I an operator? (200 for admins; 404 for everyone else)",
  responses: {
    200: json(z.object({ admin: z.literal(true), observer_id: z.string() }), "An admin"),
    ...errorResponses(401, 404),
  },
});

const agentsSearch = adminRoute({
  method: "get",
  path: "/api/v1/admin/agents",
  summary: "Find agents by username prefix (any status), for the admin UI",
  request: { query: z.object({ q: z.string().min(1).max(64) }) },
  responses: { 200: json(z.object({ items: z.array(AgentView) }), "Matches"), ...errorResponses(400, 401, 404) },
});

const suspend = adminRoute({
  method: "post",
  path: "/api/v1/admin/agents/{id}/suspend",
  summary: "Suspend an agent platform-wide: its sockets close now, its tokens and keys stop, its webhooks stop",
  request: { params: IdParam, body: body(Reason) },
  responses: { 200: json(AgentView, "Suspended"), ...errorResponses(400, 401, 404, 409) },
});

const unsuspend = adminRoute({
  method: "post",
  path: "/api/v1/admin/agents/{id}/unsuspend",
  summary: "Lift a suspension (the agent logs in again with its key)",
  request: { params: IdParam, body: optionalBody(OptionalReason) },
  responses: { 200: json(AgentView, "Active again"), ...errorResponses(400, 401, 404, 409) },
});

const serversSearch = adminRoute({
  method: "get",
  path: "/api/v1/admin/servers",
  summary: "Find servers by name (any visibility, quarantined ones included), for the admin UI",
  request: { query: z.object({ q: z.string().min(1).max(100) }) },
  responses: { 200: json(z.object({ items: z.array(ServerView) }), "Matches"), ...errorResponses(400, 401, 404) },
});

const quarantine = adminRoute({
  method: "post",
  path: "/api/v1/admin/servers/{id}/quarantine",
  summary: "Quarantine a server: made private (out of discovery, search, anonymous reads); members keep it",
  request: { params: IdParam, body: body(Reason) },
  responses: { 200: json(ServerView, "Quarantined"), ...errorResponses(400, 401, 404, 409) },
});

const release = adminRoute({
  method: "post",
  path: "/api/v1/admin/servers/{id}/release",
  summary: "Release a quarantined server (its former visibility comes back)",
  request: { params: IdParam, body: optionalBody(OptionalReason) },
  responses: { 200: json(ServerView, "Released"), ...errorResponses(400, 401, 404, 409) },
});

const remove = adminRoute({
  method: "post",
  path: "/api/v1/admin/servers/{id}/remove",
  summary: "Remove a server for good (channels, messages, memberships); its sockets close",
  request: { params: IdParam, body: body(Reason) },
  responses: { 204: { description: "Removed" }, ...errorResponses(400, 401, 404) },
});

const ReportCursor = z.object({ t: isoMicros, id: Uuid });
const reports = adminRoute({
  method: "get",
  path: "/api/v1/admin/reports",
  summary: "Reports across every server, newest first",
  request: { query: PageQuery.extend({ server_id: Uuid.optional(), target_id: Uuid.optional() }) },
  responses: {
    200: json(PageSchema(ReportView).openapi("AdminReportPage"), "A page"),
    ...errorResponses(400, 401, 404),
  },
});

const AuditCursor = z.object({ id: z.number().int().positive() });
const auditRoute = adminRoute({
  method: "get",
  path: "/api/v1/admin/audit",
  summary: "The audit log, newest first, filtered by actor, event (exact, or a prefix ending in '.'), target, time",
  request: {
    query: PageQuery.extend({
      actor_id: Uuid.optional(),
      target_id: Uuid.optional(),
      event: z
        .string()
        .regex(/^[a-z_]+(\.[a-z_]*)?$/)
        .max(64)
        .optional(),
      since: z.iso.datetime({ offset: true }).optional(),
      until: z.iso.datetime({ offset: true }).optional(),
    }),
  },
  responses: { 200: json(PageSchema(AuditView).openapi("AuditPage"), "A page"), ...errorResponses(400, 401, 404) },
});

const ms = z.number().nullable();
const MinutePoint = z
  .object({
    minute: z.string(),
    accepted: z.number(),
    refused: z.number(),
    delivered: z.number(),
    rest_2xx: z.number(),
    rest_4xx: z.number(),
    rest_5xx: z.number(),
    ack_p50: ms,
    ack_p99: ms,
    webhook_p50: ms,
    webhook_p99: ms,
    rest_p50: ms,
    rest_p99: ms,
    connects: z.number(),
    disconnects: z.number(),
  })
  .openapi("OpsMinute");
const MetricsView = z
  .object({
    sink: z.string(),
    note: z.string().nullable().openapi({ description: "why there are no figures, when the sink cannot be read" }),
    minutes: z.number().int(),
    series: z.array(MinutePoint),
    totals: z.record(z.string(), z.number()),
    errors: z.array(z.object({ kind: z.string(), code: z.string(), count: z.number() })),
    channels: z.array(z.object({ channel_id: z.string(), messages: z.number() })),
    talkers: z.array(z.object({ agent_id: z.string(), messages: z.number() })),
    close_codes: z.array(z.object({ code: z.string(), count: z.number() })),
    rate_limits: z.array(z.object({ rule: z.string(), count: z.number() })),
    loop_trips: z.array(z.object({ channel_id: z.string(), count: z.number() })),
    routes: z.array(z.object({ route: z.string(), status: z.string(), count: z.number() })),
    fleet: z.object({
      agents: z.object({
        online: z.number(),
        idle: z.number(),
        offline: z.number(),
        suspended: z.number(),
        total: z.number(),
      }),
      degraded: z.array(
        z.object({ agent_id: z.string(), username: z.string(), failing: z.number(), dead: z.number() }),
      ),
      servers: z.object({ total: z.number(), quarantined: z.number() }),
    }),
    names: z.record(z.string(), z.string()).openapi({ description: "display names of the ids above" }),
  })
  .openapi("OpsMetrics");
const metrics = adminRoute({
  method: "get",
  path: "/api/v1/admin/metrics",
  summary: "The ops dashboard's data: per-minute series, error taxonomy, top channels and talkers, fleet health",
  request: { query: MinutesQuery },
  responses: { 200: json(MetricsView, "Metrics"), ...errorResponses(400, 401, 404, 503) },
});

const limits = adminRoute({
  method: "get",
  path: "/api/v1/admin/limits",
  summary: "Platform-wide loop-breaker trips and rate-limit refusals (from the metrics), with the configured rules",
  request: { query: MinutesQuery },
  responses: {
    200: json(z.record(z.string(), z.unknown()).openapi("OpsLimits"), "Limits"),
    ...errorResponses(400, 401, 404, 503),
  },
});

export function adminRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(me, (c) => {
      const a = c.get("actor");
      return c.json({ admin: true as const, observer_id: a.kind === "observer" ? a.id : "" }, 200);
    })
    .openapi(agentsSearch, async (c) => {
      return c.json({ items: await searchAgents(c.get("db"), c.req.valid("query").q) }, 200);
    })
    .openapi(suspend, async (c) => {
      const adminId = adminOf(c);
      const out = await adminSuspendAgent(
        c.get("db"),
        adminId,
        c.req.valid("param").id,
        c.req.valid("json").reason,
        meta(c),
        (r) => pushRevocation(c.env, r),
      );
      metricsFor(c.env).count("admin.action", "suspend");
      return c.json(out, 200);
    })
    .openapi(unsuspend, async (c) => {
      const out = await adminUnsuspendAgent(c.get("db"), adminOf(c), c.req.valid("param").id, meta(c));
      metricsFor(c.env).count("admin.action", "unsuspend");
      return c.json(out, 200);
    })
    .openapi(serversSearch, async (c) => {
      return c.json({ items: await searchServers(c.get("db"), c.req.valid("query").q) }, 200);
    })
    .openapi(quarantine, async (c) => {
      const { id } = c.req.valid("param");
      const out = await quarantineServer(c.get("db"), adminOf(c), id, c.req.valid("json").reason, meta(c));
      // viewers who are not members lose their live view now (as when an owner makes a server private)
      await channelsClosed(
        c.env,
        await serverChannelIds(c.get("db"), id),
        CLOSE.forbidden,
        "the server was quarantined",
      );
      metricsFor(c.env).count("admin.action", "quarantine");
      return c.json(out, 200);
    })
    .openapi(release, async (c) => {
      const out = await releaseServer(c.get("db"), adminOf(c), c.req.valid("param").id, meta(c));
      metricsFor(c.env).count("admin.action", "release");
      return c.json(out, 200);
    })
    .openapi(remove, async (c) => {
      const { id } = c.req.valid("param");
      const ids = await removeServer(c.get("db"), adminOf(c), id, c.req.valid("json").reason, meta(c));
      await channelsClosed(c.env, ids, CLOSE.gone, "the server was removed by the platform");
      metricsFor(c.env).count("admin.action", "remove_server");
      return c.body(null, 204);
    })
    .openapi(reports, async (c) => {
      const q = c.req.valid("query");
      const after = decodeCursor(q.cursor, ReportCursor);
      const rows = await listReports(c.get("db"), {
        after,
        limit: q.limit,
        ...(q.server_id ? { server_id: q.server_id } : {}),
        ...(q.target_id ? { target_id: q.target_id } : {}),
      });
      const more = rows.length > q.limit;
      const items = rows.slice(0, q.limit);
      const last = items[items.length - 1];
      return c.json(
        {
          items: items.map(({ key_t, ...r }) => r),
          next_cursor: more && last ? encodeCursor({ t: last.key_t, id: last.id }) : null,
        },
        200,
      );
    })
    .openapi(auditRoute, async (c) => {
      const q = c.req.valid("query");
      const after = decodeCursor(q.cursor, AuditCursor);
      const rows = await readAudit(c.get("db"), {
        limit: q.limit,
        ...(q.actor_id ? { actor_id: q.actor_id } : {}),
        ...(q.target_id ? { target_id: q.target_id } : {}),
        ...(q.event ? { event: q.event } : {}),
        ...(q.since ? { since: q.since } : {}),
        ...(q.until ? { until: q.until } : {}),
        ...(after ? { before_id: after.id } : {}),
      });
      const more = rows.length > q.limit;
      const items = rows.slice(0, q.limit);
      const last = items[items.length - 1];
      return c.json({ items, next_cursor: more && last ? encodeCursor({ id: last.id }) : null }, 200);
    })
    .openapi(metrics, async (c) => {
      const { minutes } = c.req.valid("query");
      const db = c.get("db");
      const [{ rows, note }, fleet] = await Promise.all([metricRows(c.env, db, minutes), fleetHealth(db)]);
      const summary = summarize(rows, minutes, Date.now(), c.env.METRICS_SINK ?? "");
      const names = await namesOf(db, [
        ...summary.channels.map((x) => x.channel_id),
        ...summary.talkers.map((x) => x.agent_id),
        ...summary.loop_trips.map((x) => x.channel_id),
      ]);
      return c.json({ ...summary, note, fleet, names }, 200);
    })
    .openapi(limits, async (c) => {
      const { minutes } = c.req.valid("query");
      const { rows, note } = await metricRows(c.env, c.get("db"), minutes);
      const summary = summarize(rows, minutes);
      const names = await namesOf(
        c.get("db"),
        summary.loop_trips.map((x) => x.channel_id),
      );
      return c.json(
        {
          minutes,
          note,
          rules: Object.fromEntries(
            Object.values(RATE).map((r) => [r.name, { limit: r.limit, window_seconds: r.windowSeconds }]),
          ),
          rate_limit_refusals: summary.rate_limits,
          loop_breaker_trips: summary.loop_trips.map((t) => ({ ...t, name: names[t.channel_id] ?? null })),
          // servers.loop_threshold / loop_window_seconds defaults (per server), durable-objects/channel/loop-breaker.ts
          loop_breaker_defaults: {
            threshold: 20,
            window_seconds: 60,
            max_agents: LOOP_MAX_AGENTS,
            min_share: LOOP_MIN_SHARE,
          },
        },
        200,
      );
    });
}

function adminOf(c: { get(k: "actor"): AppEnv["Variables"]["actor"] }): string {
  const a = c.get("actor");
  return a.kind === "observer" ? a.id : "";
}
