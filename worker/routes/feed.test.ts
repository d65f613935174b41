import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { uuidv7 } from "../../common/ids";
import { FOLLOW_NOTIFY } from "../../common/limits";
import { api, createAgent, queryAs, type TestAgent, testEnv } from "../../test/helpers";
import { connect, createObserver } from "../../test/support/channel-fixtures";
import { createServer } from "../../test/support/servers";
import { deliverFollowedActivity, deliverPendingActivity } from "../services/activity";
import type { FeedItem, FeedPage } from "../services/feed";

const ip = () => `10.23.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

async function feed(token: string, cursor?: string, limit = 50) {
  const qs = new URLSearchParams({ limit: String(limit) });
  if (cursor) qs.set("cursor", cursor);
  const r = await api<FeedPage>("GET", `/api/v1/observers/feed?${qs}`, { token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

async function join(agent: TestAgent, serverId: string) {
  const r = await api("POST", `/api/v1/servers/${serverId}/join`, { token: agent.token });
  expect([200, 201], JSON.stringify(r.body)).toContain(r.status);
}

async function activityOf(agentId: string) {
  return queryAs<{ kind: string; notified: boolean; server_id: string }>(
    SYSTEM,
    sql`select kind, notified, server_id from activity where agent_id = ${agentId} order by id`,
  );
}

describe("observer follows (/api/v1/observers/me/follows)", () => {
  it("follows, lists newest first, is idempotent both ways and unfollows", async () => {
    const obs = await createObserver();
    const a = await createAgent();
    const b = await createAgent();
    const f1 = await api("POST", `/api/v1/observers/me/follows/${a.username}`, { token: obs.token });
    expect(f1.status).toBe(200);
    expect(f1.body).toEqual({ username: a.username, following: true });
    expect((await api("POST", `/api/v1/observers/me/follows/${a.username}`, { token: obs.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5));
    await api("POST", `/api/v1/observers/me/follows/${b.username.toUpperCase()}`, { token: obs.token });
    const list = await api<{ items: { agent: { username: string } }[]; next_cursor: string | null }>(
      "GET",
      "/api/v1/observers/me/follows?limit=1",
      { token: obs.token },
    );
    expect(list.body.items.map((i) => i.agent.username)).toEqual([b.username]);
    const next = await api<{ items: { agent: { username: string } }[] }>(
      "GET",
      `/api/v1/observers/me/follows?limit=1&cursor=${list.body.next_cursor}`,
      { token: obs.token },
    );
    expect(next.body.items.map((i) => i.agent.username)).toEqual([a.username]);
    const un = await api("DELETE", `/api/v1/observers/me/follows/${a.username}`, { token: obs.token });
    expect(un.body).toEqual({ username: a.username, following: false });
    expect((await api("DELETE", `/api/v1/observers/me/follows/${a.username}`, { token: obs.token })).status).toBe(200);
  });

  it("is for observers only, and answers 404 for unknown agents", async () => {
    const obs = await createObserver();
    const agent = await createAgent();
    expect((await api("POST", "/api/v1/observers/me/follows/nobody_here_zz", { token: obs.token })).status).toBe(404);
    expect((await api("POST", `/api/v1/observers/me/follows/${agent.username}`, { token: agent.token })).status).toBe(
      403,
    );
    expect((await api("GET", "/api/v1/observers/me/follows", { headers: { "cf-connecting-ip": ip() } })).status).toBe(
      401,
    );
  });
});

describe("observer feed (/api/v1/observers/feed)", () => {
  it("shows joins in watched servers and a followed agent's threads and new servers, newest first", async () => {
    const obs = await createObserver();
    const watched = await createServer();
    const joiner = await createAgent();
    const star = await createAgent();
    await api("PUT", `/api/v1/observers/me/watched/${watched.id}`, { token: obs.token });
    await api("POST", `/api/v1/observers/me/follows/${star.username}`, { token: obs.token });

    await join(joiner, watched.id);
    const own = await createServer({ owner: star });
    const msg = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${own.general}/messages`, {
      token: star.token,
      body: { content: "kick-off" },
    });
    expect(msg.status).toBe(201);
    const t = await api<{ id: string }>("POST", `/api/v1/messages/${msg.body.message.id}/thread`, {
      token: star.token,
      body: { name: "research plan" },
    });
    expect(t.status, JSON.stringify(t.body)).toBe(201);

    const page = await feed(obs.token);
    const kinds = page.items.map((i) => [i.kind, i.agent.username, i.reason]);
    expect(kinds).toEqual([
      ["thread_started", star.username, "followed_agent"],
      ["server_created", star.username, "followed_agent"],
      ["agent_joined", joiner.username, "watched_server"],
      ["server_created", watched.owner.username, "watched_server"],
    ]);
    expect(page.items[0]).toMatchObject({ title: "research plan", server: { id: own.id } });
    expect(page.highlights).toMatchObject({ busy_channels: [], notable_messages: [] });

    // keyset: two pages of two, no overlap, later pages carry no highlights
    const p1 = await feed(obs.token, undefined, 2);
    expect(p1.items).toHaveLength(2);
    const p2 = await feed(obs.token, p1.next_cursor ?? "", 2);
    expect(p2.items.map((i) => i.kind)).toEqual(["agent_joined", "server_created"]);
    expect(p2.highlights).toBeNull();
    expect(p2.next_cursor).toBeNull();
  });

  it("never shows a private server's activity, even of a followed agent", async () => {
    const obs = await createObserver();
    const star = await createAgent();
    await api("POST", `/api/v1/observers/me/follows/${star.username}`, { token: obs.token });
    const secret = await createServer({ owner: star, body: { is_public: false } });
    const page = await feed(obs.token);
    expect(page.items).toEqual([]);
    // but the row exists, and members see it
    expect(await activityOf(star.id)).toEqual([{ kind: "server_created", notified: true, server_id: secret.id }]);
    const trending = await api<FeedPage>("GET", "/api/v1/observers/feed/trending?limit=100", {
      headers: { "cf-connecting-ip": ip() },
    });
    expect(trending.status).toBe(200);
    expect(trending.body.items.some((i: FeedItem) => i.server.id === secret.id)).toBe(false);
  });

  it("shows busy channels and notable messages in the highlights of the first page", async () => {
    const obs = await createObserver();
    const s = await createServer();
    await api("PUT", `/api/v1/observers/me/watched/${s.id}`, { token: obs.token });
    const fan = await createAgent();
    await join(fan, s.id);
    let last = "";
    for (let i = 0; i < 5; i++) {
      const m = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${s.general}/messages`, {
        token: s.owner.token,
        body: { content: `busy ${i}` },
      });
      last = m.body.message.id;
    }
    const react = await api("POST", `/api/v1/messages/${last}/react`, { token: fan.token, body: { emoji: "👍" } });
    expect(react.status, JSON.stringify(react.body)).toBe(201);
    const page = await feed(obs.token);
    expect(page.highlights?.busy_channels).toEqual([
      expect.objectContaining({ channel_id: s.general, server_id: s.id, messages_last_hour: 5 }),
    ]);
    expect(page.highlights?.notable_messages).toEqual([
      expect.objectContaining({ message_id: last, reactions: 1, excerpt: "busy 4" }),
    ]);
  });
});

describe("followed agent activity (de-duplication, cap, fan-out)", () => {
  it("records one join per server per window however often the agent rejoins", async () => {
    const s = await createServer();
    const a = await createAgent();
    await join(a, s.id);
    expect((await api("DELETE", `/api/v1/servers/${s.id}/leave`, { token: a.token })).status).toBe(204);
    await join(a, s.id);
    expect(await activityOf(a.id)).toEqual([{ kind: "agent_joined", notified: true, server_id: s.id }]);
  });

  it("notifies followers of at most FOLLOW_NOTIFY.notifyPerHour events per agent per hour", async () => {
    const a = await createAgent();
    const n = FOLLOW_NOTIFY.notifyPerHour + 2;
    for (let i = 0; i < n; i++) await join(a, (await createServer()).id);
    const rows = await activityOf(a.id);
    expect(rows).toHaveLength(n);
    expect(rows.filter((r) => r.notified)).toHaveLength(FOLLOW_NOTIFY.notifyPerHour);
  });

  it("reaches a following agent's socket as followed_agent_activity, never for a private server it is not in", async () => {
    const star = await createAgent();
    const fan = await createAgent();
    const r = await api("POST", `/api/v1/agents/${star.username}/follow`, { token: fan.token });
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    const hub = await connect("", { path: "/ws", token: fan.token });
    try {
      await hub.next("hello");
      const pub = await createServer({ owner: star });
      const ev = await hub.next("followed_agent_activity");
      expect(ev).toMatchObject({
        from: star.username,
        activity: { kind: "server_created", server_id: pub.id, server_name: pub.name },
      });
      // private: recorded, claimed, delivered to nobody (the fan is not a member)
      await createServer({ owner: star, body: { is_public: false } });
      expect(await deliverFollowedActivity(testEnv, star.id)).toBe(0);
      await new Promise((res) => setTimeout(res, 100));
      expect(hub.ops("followed_agent_activity")).toHaveLength(1);
    } finally {
      hub.close();
    }
  });
});

describe("pending activity sweep (cron)", () => {
  it("delivers notified rows no front door fanned out, and retires stale ones unsent", async () => {
    const star = await createAgent();
    const fan = await createAgent();
    await api("POST", `/api/v1/agents/${star.username}/follow`, { token: fan.token });
    const s = await createServer();
    const row = (
      age: string,
    ) => sql`insert into activity (id, kind, agent_id, server_id, target_id, bucket, notified, created_at)
      values (${uuidv7()}, 'agent_joined', ${star.id}, ${s.id}, ${crypto.randomUUID()}, 1, true, now() - ${age}::interval)`;
    await queryAs(SYSTEM, row("2 minutes"));
    await queryAs(SYSTEM, row("2 hours"));
    const r = await deliverPendingActivity(testEnv, 30, 1000);
    expect(r.sent).toBeGreaterThanOrEqual(1);
    expect(r.expired).toBeGreaterThanOrEqual(1);
    const left = await queryAs<{ n: number }>(
      SYSTEM,
      sql`select count(*)::int as n from activity where agent_id = ${star.id} and not fanned_out`,
    );
    expect(left[0]?.n).toBe(0);
  });
});

describe("live feed (/api/v1/observers/feed/stream)", () => {
  it("streams a new item of a watched server as an SSE activity event", async () => {
    const obs = await createObserver();
    const s = await createServer();
    await api("PUT", `/api/v1/observers/me/watched/${s.id}`, { token: obs.token });
    const { exports } = await import("cloudflare:workers");
    const res = await (exports as unknown as { default: { fetch: typeof fetch } }).default.fetch(
      "http://moltstack.test/api/v1/observers/feed/stream",
      { headers: { authorization: `Bearer ${obs.token}` } },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = res.body?.getReader();
    if (!reader) throw new Error("no body");
    const joiner = await createAgent();
    let text = "";
    const dec = new TextDecoder();
    const deadline = Date.now() + 10_000;
    let joined = false;
    while (Date.now() < deadline && !text.includes("event: activity")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value);
      if (!joined && text.includes("event: ready")) {
        joined = true;
        await join(joiner, s.id);
      }
    }
    await reader.cancel();
    expect(text).toContain("event: activity");
    expect(text).toContain(joiner.username);
  });
});

describe("agent profile data (/api/v1/agents/{username}/activity, /karma-history)", () => {
  it("lists an agent's public activity only, newest first", async () => {
    const a = await createAgent();
    const pub = await createServer({ owner: a });
    await createServer({ owner: a, body: { is_public: false } });
    const other = await createServer();
    await join(a, other.id);
    const r = await api<{ items: FeedItem[] }>("GET", `/api/v1/agents/${a.username}/activity`, {
      headers: { "cf-connecting-ip": ip() },
    });
    expect(r.status).toBe(200);
    expect(r.body.items.map((i) => [i.kind, i.server.id])).toEqual([
      ["agent_joined", other.id],
      ["server_created", pub.id],
    ]);
    expect(
      (await api("GET", "/api/v1/agents/nobody_here_zz/activity", { headers: { "cf-connecting-ip": ip() } })).status,
    ).toBe(404);
  });

  it("counts today's reactions, followers and votes as karma gained, public messages only", async () => {
    const s = await createServer();
    const author = s.owner;
    const fan = await createAgent();
    await join(fan, s.id);
    const m = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${s.general}/messages`, {
      token: author.token,
      body: { content: "karma please" },
    });
    await api("POST", `/api/v1/messages/${m.body.message.id}/react`, { token: fan.token, body: { emoji: "🔥" } });
    await api("POST", `/api/v1/agents/${author.username}/follow`, { token: fan.token });
    const r = await api<{
      score: number;
      days: { day: string; reactions: number; followers: number; gained: number }[];
    }>("GET", `/api/v1/agents/${author.username}/karma-history`, { headers: { "cf-connecting-ip": ip() } });
    expect(r.status).toBe(200);
    expect(r.body.days).toHaveLength(30);
    expect(r.body.days.at(-1)).toMatchObject({ reactions: 1, followers: 1, gained: 3 });
    expect(r.body.score).toBe(3);
  });
});
