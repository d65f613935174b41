// Operators (issue 24): who is an admin, what admins can do, that every action leaves an audit entry with
// the request id, and that nobody else reaches the admin surface.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { createDatabase } from "../../common/db/client";
import { channelReports, operators, servers } from "../../common/db/schema";
import { flushMetrics, type MetricRow, minuteOf, writeAnalyticsEngine, writePostgres } from "../../common/metrics";
import { CLOSE } from "../../protocol";
import { api, asActor, asSystem, createAgent, queryAs, testEnv, uniqueName } from "../../test/helpers";
import { createAdmin, grantAdmin } from "../../test/support/admin";
import { type Client, connect, createObserver, makeRoom, member } from "../../test/support/channel-fixtures";
import wranglerToml from "../../wrangler.toml?raw";
import { createApp } from "../app";
import worker from "../index";
import { postgresRows, type summarize } from "../services/metrics-query";
import { purgeExpired, RETENTION_CRON } from "../services/retention";

async function closedWithin(c: Client, ms = 5000): Promise<number | null> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (c.closed) return c.closed.code;
    await new Promise((r) => setTimeout(r, 25));
  }
  return c.closed?.code ?? null;
}

describe("who is an admin", () => {
  it("only observers granted over the owner connection; everyone else gets 404, no token 401", async () => {
    const admin = await createAdmin();
    const observer = await createObserver();
    const agent = await createAgent();
    expect((await api("GET", "/api/v1/admin/me", { token: admin.token })).body).toEqual({
      admin: true,
      observer_id: admin.id,
    });
    expect((await api("GET", "/api/v1/admin/me", { token: observer.token })).status).toBe(404);
    expect((await api("GET", "/api/v1/admin/me", { token: agent.token })).status).toBe(404);
    expect((await api("GET", "/api/v1/admin/me", { headers: { "cf-connecting-ip": "203.0.113.240" } })).status).toBe(
      401,
    );
  });

  it("an expired grant stops at the next request (the check is per request, against the database)", async () => {
    const o = await createObserver();
    await grantAdmin(o.id, 3600);
    expect((await api("GET", "/api/v1/admin/me", { token: o.token })).status).toBe(200);
    await grantAdmin(o.id, -1);
    expect((await api("GET", "/api/v1/admin/me", { token: o.token })).status).toBe(404);
  });

  it("the app role cannot grant the role: operators has no insert or update for it, even as the system", async () => {
    const o = await createObserver();
    const asSys = await asSystem((tx) => tx.insert(operators).values({ observerId: o.id })).then(
      () => "written",
      (e: unknown) => String(e),
    );
    expect(asSys).not.toBe("written");
    const asSelf = await queryAs(
      { kind: "observer", id: o.id },
      sql`insert into operators (observer_id) values (${o.id})`,
    ).then(
      () => "written",
      (e: unknown) => String(e),
    );
    expect(asSelf).not.toBe("written");
    expect((await api("GET", "/api/v1/admin/me", { token: o.token })).status).toBe(404);
  });
});

describe("suspending an agent", () => {
  it("closes its sockets live, stops its token, and leaves an audit entry with the request id", async () => {
    const admin = await createAdmin();
    const room = await makeRoom();
    const bot = await member(room);
    const client = await connect(room.channelId, { token: bot.token });
    const rid = `admin-suspend-${Date.now()}`;
    const r = await api("POST", `/api/v1/admin/agents/${bot.id}/suspend`, {
      token: admin.token,
      body: { reason: "spam wave" },
      headers: { "x-request-id": rid },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: bot.id, status: "suspended", presence: "offline" });
    expect(await closedWithin(client)).toBe(CLOSE.unauthorized);
    expect((await api("GET", "/api/v1/agents/@me", { token: bot.token })).status).toBe(401);
    // twice is a conflict, not a second audit entry
    expect(
      (await api("POST", `/api/v1/admin/agents/${bot.id}/suspend`, { token: admin.token, body: { reason: "again" } }))
        .status,
    ).toBe(409);

    const log = await api<{ items: { event: string; actor_id: string; request_id: string; detail: unknown }[] }>(
      "GET",
      `/api/v1/admin/audit?target_id=${bot.id}&event=agent.suspended`,
      { token: admin.token },
    );
    expect(log.status).toBe(200);
    expect(log.body.items).toHaveLength(1);
    expect(log.body.items[0]).toMatchObject({ event: "agent.suspended", actor_id: admin.id, request_id: rid });

    const back = await api("POST", `/api/v1/admin/agents/${bot.id}/unsuspend`, { token: admin.token });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ status: "verified" });
    const all = await api<{ items: { event: string }[] }>("GET", `/api/v1/admin/audit?target_id=${bot.id}`, {
      token: admin.token,
    });
    expect(all.body.items.map((i) => i.event)).toEqual(["agent.unsuspended", "agent.suspended"]);
  });

  it("finds agents by username prefix for the admin UI", async () => {
    const admin = await createAdmin();
    const a = await createAgent({ username: uniqueName("findme") });
    const r = await api<{ items: { id: string }[] }>("GET", `/api/v1/admin/agents?q=${a.username}`, {
      token: admin.token,
    });
    expect(r.body.items.map((i) => i.id)).toEqual([a.id]);
  });
});

describe("servers", () => {
  it("quarantine makes a server private, its owner cannot lift it, release restores it", async () => {
    const admin = await createAdmin();
    const room = await makeRoom({ isPublic: true });
    const q = await api("POST", `/api/v1/admin/servers/${room.serverId}/quarantine`, {
      token: admin.token,
      body: { reason: "abuse" },
    });
    expect(q.status).toBe(200);
    expect(q.body).toMatchObject({ is_public: false, quarantine_reason: "abuse" });
    // an outsider no longer sees it
    const outsider = await createAgent();
    expect((await api("GET", `/api/v1/servers/${room.serverId}`, { token: outsider.token })).status).toBe(404);
    // the owner may not make it public again
    const patch = await api("PATCH", `/api/v1/servers/${room.serverId}`, {
      token: room.owner.token,
      body: { is_public: true },
    });
    expect(patch.status).toBeGreaterThanOrEqual(400);
    expect(patch.status).toBeLessThan(500);
    // admins still find it by name (any visibility), marked quarantined
    const [srv] = await asSystem((tx) =>
      tx.select({ name: servers.name }).from(servers).where(sql`${servers.id} = ${room.serverId}`),
    );
    const found = await api<{ items: { id: string; quarantined_at: string | null }[] }>(
      "GET",
      `/api/v1/admin/servers?q=${encodeURIComponent(srv?.name ?? "")}`,
      { token: admin.token },
    );
    expect(found.body.items.find((i) => i.id === room.serverId)?.quarantined_at).not.toBeNull();
    const rel = await api("POST", `/api/v1/admin/servers/${room.serverId}/release`, { token: admin.token });
    expect(rel.status).toBe(200);
    expect(rel.body).toMatchObject({ is_public: true, quarantined_at: null });
  });

  it("remove deletes a server and audits it", async () => {
    const admin = await createAdmin();
    const room = await makeRoom();
    const r = await api("POST", `/api/v1/admin/servers/${room.serverId}/remove`, {
      token: admin.token,
      body: { reason: "illegal content" },
    });
    expect(r.status).toBe(204);
    const [left] = await asSystem((tx) =>
      tx.select({ n: sql<number>`count(*)::int` }).from(servers).where(sql`${servers.id} = ${room.serverId}`),
    );
    expect(left?.n).toBe(0);
    const log = await api<{ items: { event: string }[] }>("GET", `/api/v1/admin/audit?target_id=${room.serverId}`, {
      token: admin.token,
    });
    expect(log.body.items[0]?.event).toBe("server.removed");
  });
});

describe("reports and the audit log", () => {
  it("lists reports across servers, newest first, keyset-paginated", async () => {
    const admin = await createAdmin();
    const target = await createAgent();
    for (let i = 0; i < 3; i++) {
      const room = await makeRoom();
      const reporter = await member(room);
      await asSystem((tx) =>
        tx.insert(channelReports).values({
          channelId: room.channelId,
          reporterAgentId: reporter.id,
          targetAgentId: target.id,
          reason: `r${i}`,
        }),
      );
    }
    const p1 = await api<{ items: { reason: string }[]; next_cursor: string | null }>(
      "GET",
      `/api/v1/admin/reports?target_id=${target.id}&limit=2`,
      { token: admin.token },
    );
    expect(p1.body.items.map((i) => i.reason)).toEqual(["r2", "r1"]);
    const p2 = await api<{ items: { reason: string }[]; next_cursor: string | null }>(
      "GET",
      `/api/v1/admin/reports?target_id=${target.id}&limit=2&cursor=${p1.body.next_cursor}`,
      { token: admin.token },
    );
    expect(p2.body.items.map((i) => i.reason)).toEqual(["r0"]);
    expect(p2.body.next_cursor).toBeNull();
  });

  it("filters the audit log by actor and time and pages it by id; bad filters are 400", async () => {
    const admin = await createAdmin();
    for (let i = 0; i < 3; i++) {
      const a = await createAgent();
      await api("POST", `/api/v1/admin/agents/${a.id}/suspend`, { token: admin.token, body: { reason: `r${i}` } });
    }
    const since = new Date(Date.now() - 60_000).toISOString();
    const p1 = await api<{ items: { id: number; actor_id: string }[]; next_cursor: string }>(
      "GET",
      `/api/v1/admin/audit?actor_id=${admin.id}&since=${since}&limit=2`,
      { token: admin.token },
    );
    expect(p1.body.items).toHaveLength(2);
    expect(p1.body.items.every((i) => i.actor_id === admin.id)).toBe(true);
    const p2 = await api<{ items: { id: number }[]; next_cursor: string | null }>(
      "GET",
      `/api/v1/admin/audit?actor_id=${admin.id}&since=${since}&limit=2&cursor=${p1.body.next_cursor}`,
      { token: admin.token },
    );
    expect(p2.body.items).toHaveLength(1);
    expect(p2.body.items[0]?.id).toBeLessThan(p1.body.items[1]?.id ?? 0);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = await api<{ items: unknown[] }>("GET", `/api/v1/admin/audit?actor_id=${admin.id}&since=${future}`, {
      token: admin.token,
    });
    expect(none.body.items).toEqual([]);
    expect((await api("GET", "/api/v1/admin/audit?since=yesterday", { token: admin.token })).status).toBe(400);
    expect((await api("GET", "/api/v1/admin/audit?cursor=bm9wZQ", { token: admin.token })).status).toBe(400);
  });
});

describe("metrics", () => {
  it("the local sink stores per-minute rows that the dashboard summary reads back", async () => {
    const admin = await createAdmin();
    const channel = crypto.randomUUID();
    const minute = minuteOf(Date.now());
    const rows: MetricRow[] = [
      { minute, name: "message.accepted", dim1: channel, dim2: admin.id, bucket: -1, n: 40, total: 40 },
      { minute, name: "message.refused", dim1: "rate_limited", dim2: "", bucket: -1, n: 3, total: 3 },
      { minute, name: "message.ack_ms", dim1: "", dim2: "", bucket: 3, n: 99, total: 500 },
      { minute, name: "message.ack_ms", dim1: "", dim2: "", bucket: 8, n: 1, total: 400 },
    ];
    await writePostgres(testEnv, rows);
    await writePostgres(testEnv, rows.slice(0, 1)); // adds up
    const db = createDatabase(testEnv);
    try {
      const back = (await postgresRows(db, minute)).filter((r) => r.dim1 === channel);
      expect(back).toEqual([{ ...rows[0], n: 80, total: 80 }]);
    } finally {
      await db.close();
    }
    // the route, on a stack whose sink is Postgres (npm run dev): the same summary the dashboard draws
    const app = createApp();
    const res = await app.request(
      "/api/v1/admin/metrics?minutes=5",
      { headers: { authorization: `Bearer ${admin.token}` } },
      { ...testEnv, METRICS_SINK: "postgres" },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as ReturnType<typeof summarize> & { fleet: { agents: { total: number } } };
    expect(body.channels.find((c) => c.channel_id === channel)?.messages).toBe(80);
    expect(body.series).toHaveLength(5);
    expect(body.series[4]?.ack_p50).not.toBeNull();
    expect(body.errors.some((e) => e.kind === "message" && e.code === "rate_limited")).toBe(true);
    expect(body.fleet.agents.total).toBeGreaterThan(0);
    // the production sink takes the same rows (the Analytics Engine binding of wrangler.toml, local in tests)
    expect(() => writeAnalyticsEngine(testEnv.METRICS, rows)).not.toThrow();
  });
});

describe("REST metrics", () => {
  it("count requests by route pattern (never the concrete path) and status class", async () => {
    const admin = await createAdmin();
    const env = { ...testEnv, METRICS_SINK: "postgres" };
    const app = createApp();
    const agent = await createAgent();
    for (let i = 0; i < 3; i++) {
      await app.request("/api/v1/admin/me", { headers: { authorization: `Bearer ${admin.token}` } }, env);
    }
    await app.request("/api/v1/admin/me", {}, env);
    await app.request(
      `/api/v1/admin/agents/${agent.id}/unsuspend`,
      { method: "POST", headers: { authorization: `Bearer ${admin.token}` } },
      env,
    );
    await flushMetrics(env);
    const db = createDatabase(testEnv);
    try {
      const rows = (await postgresRows(db, minuteOf(Date.now()) - 60_000)).filter((r) => r.name === "rest.request");
      const sum = (route: string, cls: string) =>
        rows.filter((r) => r.dim1 === route && r.dim2 === cls).reduce((n, r) => n + r.n, 0);
      expect(sum("/api/v1/admin/me", "2xx")).toBeGreaterThanOrEqual(3);
      expect(sum("/api/v1/admin/me", "4xx")).toBeGreaterThanOrEqual(1);
      expect(sum("/api/v1/admin/agents/:id/unsuspend", "4xx")).toBeGreaterThanOrEqual(1);
      expect(rows.some((r) => r.dim1.includes(agent.id))).toBe(false);
    } finally {
      await db.close();
    }
  });
});

describe("retention", () => {
  it("the purge deletes audit rows and webhook deliveries older than their retention, and nothing newer", async () => {
    const a = await createAgent();
    await asSystem(async (tx) => {
      await tx.execute(sql`insert into audit_log (event, actor_kind, target_id, created_at)
        values ('retention.old', 'system', ${a.id}, now() - interval '500 days'),
               ('retention.new', 'system', ${a.id}, now())`);
      await tx.execute(sql`insert into webhook_deliveries (id, agent_id, event_type, status, payload, created_at)
        values (gen_random_uuid(), ${a.id}, 'dm.received', 'delivered', '{}'::jsonb, now() - interval '40 days'),
               (gen_random_uuid(), ${a.id}, 'dm.received', 'delivered', '{}'::jsonb, now())`);
    });
    const db = createDatabase(testEnv);
    try {
      const r = await purgeExpired(db, { messageDays: 0, auditDays: 400, deliveryDays: 30, metricsDays: 14 });
      expect(r.audit_log).toBeGreaterThanOrEqual(1);
      expect(r.webhook_deliveries).toBeGreaterThanOrEqual(1);
      expect(r.messages).toBe(0);
    } finally {
      await db.close();
    }
    const left = await asSystem((tx) =>
      tx.execute<{ audit: number; deliveries: number }>(sql`select
        (select count(*)::int from audit_log where target_id = ${a.id}) as audit,
        (select count(*)::int from webhook_deliveries where agent_id = ${a.id}) as deliveries`),
    );
    expect(left.rows[0]).toEqual({ audit: 1, deliveries: 1 });
    // only the platform may purge
    const refused = await asActor({ kind: "agent", id: a.id }, (tx) =>
      tx.execute(sql`select app.purge_retention(0, 1, 1, 1, 10)`),
    ).then(
      () => "ran",
      (e: unknown) => String(e),
    );
    expect(refused).not.toBe("ran");
    void SYSTEM;
  });

  it("runs from the Worker's daily cron trigger (wrangler.toml lists the same expression)", async () => {
    const a = await createAgent();
    await asSystem((tx) =>
      tx.execute(sql`insert into audit_log (event, actor_kind, target_id, created_at)
        values ('retention.cron', 'system', ${a.id}, now() - interval '1000 days')`),
    );
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: RETENTION_CRON }), testEnv, ctx);
    await waitOnExecutionContext(ctx);
    const left = await asSystem((tx) =>
      tx.execute<{ n: number }>(sql`select count(*)::int as n from audit_log where target_id = ${a.id}`),
    );
    expect(left.rows[0]?.n).toBe(0);
    expect(wranglerToml).toContain(`"${RETENTION_CRON}"`);
  });
});
