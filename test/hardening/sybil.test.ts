// Sybil auto-ban (issue 15, item 4), as the attacker ran it: ten throw-away agents registered within a
// second (each from its own address), joined a public server and reported its admin; at the default
// threshold of 10 the admin was auto-banned. Now only established reporters count (account age,
// membership age, a history in the server), reporters from one network count once, an admin needs twice
// the threshold (at the threshold the owner is asked to review), and the burst is flagged.
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { channels, serverBans, serverMembers, servers } from "../../common/db/schema";
import { REPORT_WEIGHT } from "../../common/limits";
import { api, asSystem, createAgent, queryAs, type TestAgent, uniqueName } from "../helpers";
import { registerVerifiedAgent, uniqueIp } from "../identity";
import { establish } from "../support/moderation";

interface Server {
  id: string;
  channel: string;
  owner: TestAgent;
  admin: TestAgent;
}

async function server(threshold = 10): Promise<Server> {
  const owner = await createAgent();
  const admin = await createAgent();
  const [s] = await asSystem((tx) =>
    tx
      .insert(servers)
      .values({ name: uniqueName("sybil"), ownerAgentId: owner.id, isPublic: true, reportThreshold: threshold })
      .returning({ id: servers.id }),
  );
  if (!s) throw new Error("no server");
  const [c] = await asSystem((tx) =>
    tx.insert(channels).values({ serverId: s.id, name: "general" }).returning({ id: channels.id }),
  );
  if (!c) throw new Error("no channel");
  await asSystem((tx) =>
    tx.insert(serverMembers).values([
      { serverId: s.id, agentId: owner.id, role: "owner" },
      { serverId: s.id, agentId: admin.id, role: "admin" },
    ]),
  );
  await establish(admin.id, s.id);
  return { id: s.id, channel: c.id, owner, admin };
}

/** A throw-away agent: registered through the real flow from `ip`, joined through the API. */
async function sybil(s: Server, ip: string): Promise<TestAgent> {
  const a = await registerVerifiedAgent(uniqueName("syb"), ip);
  const t = { id: a.id, username: a.username, token: a.tokens.api_token };
  expect([200, 201]).toContain((await api("POST", `/api/v1/servers/${s.id}/join`, { token: t.token })).status);
  return t;
}

const report = (by: TestAgent, s: Server, target: string, ip = uniqueIp()) =>
  api<{ auto_banned: boolean }>("POST", `/api/v1/channels/${s.channel}/report`, {
    token: by.token,
    body: { target, reason: "abuse" },
    headers: { "cf-connecting-ip": ip },
  });

const banned = async (s: Server, agentId: string) =>
  (
    await asSystem((tx) =>
      tx
        .select()
        .from(serverBans)
        .where(and(eq(serverBans.serverId, s.id), eq(serverBans.agentId, agentId))),
    )
  ).length > 0;

const flags = async (event: string, targetId: string) =>
  (
    await queryAs<{ n: number }>(
      SYSTEM,
      sql`select count(*)::int as n from audit_log where event = ${event} and target_id = ${targetId}`,
    )
  )[0]?.n ?? 0;

describe("Sybil reports", () => {
  it("ten agents registered a second ago cannot report an admin out, and the burst is flagged", async () => {
    const s = await server(10);
    const sybils = await Promise.all(Array.from({ length: 10 }, () => sybil(s, uniqueIp())));
    for (const a of sybils) {
      const r = await report(a, s, s.admin.username);
      expect(r.status).toBe(201);
      expect(r.body.auto_banned).toBe(false);
    }
    expect(await banned(s, s.admin.id)).toBe(false);
    expect(await flags("moderation.report_burst", s.admin.id)).toBe(1);
    // and not a member either: new members' reports weigh nothing against anyone
    const member = await createAgent();
    await asSystem((tx) => tx.insert(serverMembers).values({ serverId: s.id, agentId: member.id, role: "member" }));
    for (const a of sybils) await report(a, s, member.username);
    expect(await banned(s, member.id)).toBe(false);
  });

  it("aged accounts from two networks count as two reporters, however many there are", async () => {
    const s = await server(3);
    const target = await createAgent();
    await asSystem((tx) => tx.insert(serverMembers).values({ serverId: s.id, agentId: target.id, role: "member" }));
    const nets = [uniqueIp(), uniqueIp()];
    const agents: TestAgent[] = [];
    for (const net of nets) for (let i = 0; i < 3; i++) agents.push(await sybil(s, net));
    for (const a of agents) await establish(a.id, s.id);
    // they even report from six different addresses
    for (const a of agents) expect((await report(a, s, target.username)).body.auto_banned).toBe(false);
    expect(await banned(s, target.id)).toBe(false);
  });

  it("an admin needs twice the threshold of established reporters; at the threshold the owner is asked to review", async () => {
    const s = await server(3);
    const members: TestAgent[] = [];
    for (let i = 0; i < 3 * REPORT_WEIGHT.adminFactor; i++) {
      const m = await createAgent();
      await asSystem((tx) => tx.insert(serverMembers).values({ serverId: s.id, agentId: m.id, role: "member" }));
      await establish(m.id, s.id);
      members.push(m);
    }
    for (const m of members.slice(0, 3)) expect((await report(m, s, s.admin.username)).body.auto_banned).toBe(false);
    expect(await banned(s, s.admin.id)).toBe(false);
    expect(await flags("moderation.review_requested", s.admin.id)).toBe(1);
    const outcomes = [];
    for (const m of members.slice(3)) outcomes.push((await report(m, s, s.admin.username)).body.auto_banned);
    expect(outcomes).toEqual([false, false, true]);
    expect(await banned(s, s.admin.id)).toBe(true);
  });

  it("control: established, independent members still ban a member at the threshold", async () => {
    const s = await server(3);
    const target = await createAgent();
    await asSystem((tx) => tx.insert(serverMembers).values({ serverId: s.id, agentId: target.id, role: "member" }));
    const rs: TestAgent[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await createAgent();
      await asSystem((tx) => tx.insert(serverMembers).values({ serverId: s.id, agentId: m.id, role: "member" }));
      await establish(m.id, s.id);
      rs.push(m);
    }
    const outcomes = [];
    for (const m of rs) outcomes.push((await report(m, s, target.username)).body.auto_banned);
    expect(outcomes).toEqual([false, false, true]);
  });
});
