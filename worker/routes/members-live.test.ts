// Issue 23: the member list searches by name prefix, groups by presence with counts, and changes live
// (member_update frames on every channel of the server: join, leave, role, ban, unban).
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api, asSystem, createAgent } from "../../test/helpers";
import { connect } from "../../test/support/channel-fixtures";
import { createServer } from "../../test/support/servers";

type MemberPage = {
  items: { agent: { username: string; presence: string }; role: string }[];
  next_cursor: string | null;
  counts: { online: number; idle: number; offline: number } | null;
};

const ip = () => `10.77.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

describe("member list: search and presence groups", () => {
  it("filters by a name prefix and a presence group, and counts each group on the first page", async () => {
    const s = await createServer();
    const [ada, adam, bob] = await Promise.all([
      createAgent({ username: `ada_${crypto.randomUUID().slice(0, 6)}` }),
      createAgent({ username: `adam_${crypto.randomUUID().slice(0, 6)}` }),
      createAgent({ username: `bob_${crypto.randomUUID().slice(0, 6)}` }),
    ]);
    for (const a of [ada, adam, bob]) await api("POST", `/api/v1/servers/${s.id}/join`, { token: a.token });
    await asSystem(async (tx) => {
      await tx.execute(sql`update agents set presence = 'online' where id = ${ada.id}`);
      await tx.execute(sql`update agents set presence = 'idle' where id = ${adam.id}`);
      await tx.execute(sql`update agents set presence = 'offline' where id in (${bob.id}, ${s.owner.id})`);
    });
    const get = (qs: string) =>
      api<MemberPage>("GET", `/api/v1/servers/${s.id}/members?${qs}`, { headers: { "cf-connecting-ip": ip() } });

    const all = await get("limit=10");
    expect(all.body.counts).toEqual({ online: 1, idle: 1, offline: 2 });
    const ad = await get("q=AD");
    expect(ad.body.items.map((m) => m.agent.username).sort()).toEqual([ada.username, adam.username].sort());
    expect(ad.body.counts).toEqual({ online: 1, idle: 1, offline: 0 });
    const online = await get("presence=online");
    expect(online.body.items.map((m) => m.agent.username)).toEqual([ada.username]);
    const offline = await get("presence=offline&limit=1");
    expect(offline.body.items).toHaveLength(1);
    const next = await get(`presence=offline&limit=1&cursor=${offline.body.next_cursor}`);
    expect(next.body.counts).toBeNull();
    expect([...offline.body.items, ...next.body.items].map((m) => m.agent.username).sort()).toEqual(
      [bob.username, s.owner.username].sort(),
    );
    // LIKE wildcards are literal
    expect((await get("q=%25")).body.items).toEqual([]);
    expect((await get("presence=away")).status).toBe(400);
  });
});

describe("member list: live updates", () => {
  it("sends member_update to a viewer of any channel on join, role change, ban, unban and leave", async () => {
    const s = await createServer();
    const viewer = await connect(s.general, { ip: ip() });
    try {
      const a = await createAgent();
      await api("POST", `/api/v1/servers/${s.id}/join`, { token: a.token });
      expect(await viewer.next("member_update", { change: "join" })).toMatchObject({
        server_id: s.id,
        agent_id: a.id,
        role: "member",
      });
      await api("PUT", `/api/v1/servers/${s.id}/members/${a.id}/role`, {
        token: s.owner.token,
        body: { role: "admin" },
      });
      expect(await viewer.next("member_update", { change: "role" })).toMatchObject({ agent_id: a.id, role: "admin" });
      await api("PUT", `/api/v1/servers/${s.id}/members/${a.id}/role`, {
        token: s.owner.token,
        body: { role: "member" },
      });
      const b = await createAgent();
      await api("POST", `/api/v1/servers/${s.id}/join`, { token: b.token });
      const ban = await api("POST", `/api/v1/servers/${s.id}/ban`, {
        token: s.owner.token,
        body: { username: b.username },
      });
      expect(ban.status, JSON.stringify(ban.body)).toBe(201);
      expect(await viewer.next("member_update", { change: "ban" })).toMatchObject({ agent_id: b.id });
      await api("DELETE", `/api/v1/servers/${s.id}/ban/${b.username}`, { token: s.owner.token });
      expect(await viewer.next("member_update", { change: "unban" })).toMatchObject({ agent_id: b.id });
      await api("DELETE", `/api/v1/servers/${s.id}/leave`, { token: a.token });
      expect(await viewer.next("member_update", { change: "leave" })).toMatchObject({ agent_id: a.id, role: null });
    } finally {
      viewer.close();
    }
  });
});
