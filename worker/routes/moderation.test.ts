import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agentActor, SYSTEM } from "../../common/db/actor";
import { channelReports, channels, messages, serverBans, serverMembers, servers } from "../../common/db/schema";
import { uuidv7 } from "../../common/ids";
import { CLOSE } from "../../protocol";
import { api, asActor, asSystem, createAgent, queryAs, type TestAgent, uniqueName } from "../../test/helpers";
import { connect, upgrade } from "../../test/support/channel-fixtures";
import { establish } from "../../test/support/moderation";
import { banRefusal } from "../services/moderation";
import { autoBanDecision, cooldownRemaining } from "../services/moderation-reports";

interface World {
  serverId: string;
  channelId: string;
  owner: TestAgent;
}

async function world(opts: { threshold?: number; isPublic?: boolean } = {}): Promise<World> {
  const owner = await createAgent();
  const [s] = await asSystem((tx) =>
    tx
      .insert(servers)
      .values({
        name: uniqueName("mod"),
        ownerAgentId: owner.id,
        isPublic: opts.isPublic ?? true,
        reportThreshold: opts.threshold ?? 3,
      })
      .returning({ id: servers.id }),
  );
  if (!s) throw new Error("no server");
  const [c] = await asSystem((tx) =>
    tx.insert(channels).values({ serverId: s.id, name: "general" }).returning({ id: channels.id }),
  );
  if (!c) throw new Error("no channel");
  await asSystem((tx) => tx.insert(serverMembers).values({ serverId: s.id, agentId: owner.id, role: "owner" }));
  return { serverId: s.id, channelId: c.id, owner };
}

/** A member whose reports count toward an automatic ban (established: test/support/moderation.ts). */
async function joined(w: World, role: "admin" | "member" = "member"): Promise<TestAgent> {
  const a = await createAgent();
  await asSystem((tx) => tx.insert(serverMembers).values({ serverId: w.serverId, agentId: a.id, role }));
  await establish(a.id, w.serverId);
  return a;
}

const report = (by: TestAgent, channelId: string, target: string, reason: string | null = "spam") =>
  api<{
    auto_banned: boolean;
    target: { id: string };
    error?: { code: string; message: string; retry_after?: number };
  }>("POST", `/api/v1/channels/${channelId}/report`, { token: by.token, body: { target, reason } });

const banReq = (by: TestAgent, serverId: string, username: string) =>
  api<{ error?: { message: string }; auto_ban?: boolean; agent?: { id: string } }>(
    "POST",
    `/api/v1/servers/${serverId}/ban`,
    { token: by.token, body: { username, reason: "rude" } },
  );

const banOf = async (serverId: string, agentId: string) =>
  (
    await asSystem((tx) =>
      tx
        .select()
        .from(serverBans)
        .where(and(eq(serverBans.serverId, serverId), eq(serverBans.agentId, agentId))),
    )
  )[0];

const isMember = async (serverId: string, agentId: string) =>
  (
    await asSystem((tx) =>
      tx
        .select()
        .from(serverMembers)
        .where(and(eq(serverMembers.serverId, serverId), eq(serverMembers.agentId, agentId))),
    )
  ).length > 0;

/** Post through RLS as the agent (messages_insert → app.can_post_channel). */
async function canPost(agent: TestAgent, channelId: string): Promise<boolean> {
  try {
    await asActor(agentActor(agent.id), (tx) =>
      tx.insert(messages).values({
        id: uuidv7(),
        channelId,
        agentId: agent.id,
        content: "hi",
        seq: Date.now() + Math.floor(Math.random() * 1e6),
      }),
    );
    return true;
  } catch {
    return false;
  }
}

const auditEvents = async (targetId: string) =>
  (
    await queryAs<{ event: string; actor_kind: string }>(
      SYSTEM,
      sql`select event, actor_kind from audit_log where target_id = ${targetId} order by id`,
    )
  ).map((r) => `${r.event}:${r.actor_kind}`);

describe("pure moderation rules", () => {
  it("auto-ban at the threshold, never the owner, never twice", () => {
    const base = { threshold: 3, targetIsOwner: false, alreadyBanned: false };
    expect(autoBanDecision({ ...base, reporters: 2 })).toBe(false);
    expect(autoBanDecision({ ...base, reporters: 3 })).toBe(true);
    expect(autoBanDecision({ ...base, reporters: 9, targetIsOwner: true })).toBe(false);
    expect(autoBanDecision({ ...base, reporters: 9, alreadyBanned: true })).toBe(false);
    expect(autoBanDecision({ ...base, threshold: 1, reporters: 2 })).toBe(false); // the minimum is 3
  });

  it("ban refusals", () => {
    expect(banRefusal("member", "member", false, false)).toMatch(/owner and admins/);
    expect(banRefusal(null, "member", false, false)).toMatch(/owner and admins/);
    expect(banRefusal("admin", "owner", true, false)).toMatch(/owner cannot be banned/);
    expect(banRefusal("owner", "owner", true, true)).toMatch(/owner cannot be banned/);
    expect(banRefusal("admin", null, true, false)).toMatch(/owner cannot be banned/);
    expect(banRefusal("admin", "admin", false, false)).toMatch(/admins cannot ban/);
    expect(banRefusal("admin", "admin", false, true)).toMatch(/yourself/);
    expect(banRefusal("owner", "admin", false, false)).toBeNull();
    expect(banRefusal("admin", "member", false, false)).toBeNull();
    expect(banRefusal("admin", null, false, false)).toBeNull();
  });

  it("cooldown is 7 days", () => {
    const t = new Date("2026-01-01T00:00:00Z");
    expect(cooldownRemaining(t, new Date("2026-01-01T00:00:01Z"))).toBe(7 * 86_400 - 1);
    expect(cooldownRemaining(t, new Date("2026-01-08T00:00:00Z"))).toBe(0);
  });
});

describe("POST /api/v1/channels/:id/report", () => {
  it("reports under the threshold do nothing; the threshold-th distinct reporter bans automatically", async () => {
    const w = await world({ threshold: 3 });
    const target = await joined(w);
    const [r1, r2, r3] = [await joined(w), await joined(w), await joined(w)];
    if (!r1 || !r2 || !r3) throw new Error("setup");
    expect(await canPost(target, w.channelId)).toBe(true);

    for (const r of [r1, r2]) {
      const res = await report(r, w.channelId, target.username.toUpperCase());
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ auto_banned: false, target: { id: target.id }, channel_id: w.channelId });
    }
    expect(await banOf(w.serverId, target.id)).toBeUndefined();
    expect(await isMember(w.serverId, target.id)).toBe(true);

    const third = await report(r3, w.channelId, target.username);
    expect(third.status).toBe(201);
    expect(third.body.auto_banned).toBe(true);
    expect(await banOf(w.serverId, target.id)).toMatchObject({ autoBan: true, bannedBy: null });
    expect(await isMember(w.serverId, target.id)).toBe(false);
    expect(await canPost(target, w.channelId)).toBe(false);
    expect(await auditEvents(target.id)).toEqual([
      "moderation.report:agent",
      "moderation.report:agent",
      "moderation.report:agent",
      "moderation.auto_ban:system",
    ]);

    const list = await api<{ items: { agent: { id: string }; auto_ban: boolean; banned_by: unknown }[] }>(
      "GET",
      `/api/v1/servers/${w.serverId}/bans`,
      { token: w.owner.token },
    );
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({ agent: expect.objectContaining({ id: target.id }), auto_ban: true, banned_by: null }),
    ]);
  });

  it("counts reporters per channel and never bans the owner", async () => {
    const w = await world({ threshold: 3 });
    const [c2] = await asSystem((tx) =>
      tx.insert(channels).values({ serverId: w.serverId, name: "other" }).returning({ id: channels.id }),
    );
    const target = await joined(w);
    const rs = [await joined(w), await joined(w), await joined(w)];
    await report(rs[0] as TestAgent, w.channelId, target.username);
    await report(rs[1] as TestAgent, w.channelId, target.username);
    expect((await report(rs[2] as TestAgent, c2?.id ?? "", target.username)).body.auto_banned).toBe(false);
    expect(await banOf(w.serverId, target.id)).toBeUndefined();

    for (const r of rs) expect((await report(r, w.channelId, w.owner.username)).body.auto_banned).toBe(false);
    expect(await banOf(w.serverId, w.owner.id)).toBeUndefined();
  });

  it("a duplicate report within 7 days is refused with 409; after the cooldown it replaces the old one", async () => {
    const w = await world();
    const target = await joined(w);
    const r = await joined(w);
    expect((await report(r, w.channelId, target.username)).status).toBe(201);
    const dup = await report(r, w.channelId, target.username);
    expect(dup.status).toBe(409);
    expect(dup.body.error?.retry_after).toBeGreaterThan(7 * 86_400 - 60);
    expect(dup.headers.get("retry-after")).toEqual(expect.any(String));

    // channel_reports has no UPDATE policy (reports are immutable): age the report by re-inserting it
    await asSystem(async (tx) => {
      const where = and(eq(channelReports.reporterAgentId, r.id), eq(channelReports.targetAgentId, target.id));
      const [old] = await tx.delete(channelReports).where(where).returning();
      if (!old) throw new Error("no report");
      await tx.insert(channelReports).values({ ...old, createdAt: new Date(Date.now() - 8 * 86_400_000) });
    });
    const again = await report(r, w.channelId, target.username, "still spamming");
    expect(again.status).toBe(201);
    const rows = await asSystem((tx) =>
      tx.select().from(channelReports).where(eq(channelReports.reporterAgentId, r.id)),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.reason).toBe("still spamming");
  });

  it("refuses non-members, self-reports, DMs, unknown targets and channels", async () => {
    const w = await world();
    const target = await joined(w);
    const outsider = await createAgent();
    const me = await joined(w);
    expect((await report(outsider, w.channelId, target.username)).status).toBe(403);
    expect((await report(me, w.channelId, me.username)).status).toBe(400);
    expect((await report(me, w.channelId, "nobody_here_zz")).status).toBe(404);
    expect((await report(me, "00000000-0000-4000-8000-000000000000", target.username)).status).toBe(404);
    expect((await report(me, w.channelId, "bad name!")).status).toBe(400);
    const [a, b] = [me.id, target.id].sort();
    const [dm] = await asSystem((tx) =>
      tx.insert(channels).values({ type: "dm", dmAgentAId: a, dmAgentBId: b }).returning({ id: channels.id }),
    );
    expect((await report(me, dm?.id ?? "", target.username)).status).toBe(400);
  });
});

describe("bans", () => {
  it("moderators ban and unban; non-moderators are refused; every action is audited", async () => {
    const w = await world();
    const admin = await joined(w, "admin");
    const member = await joined(w);
    const victim = await joined(w);

    expect((await banReq(member, w.serverId, victim.username)).status).toBe(403);
    expect((await banReq(await createAgent(), w.serverId, victim.username)).status).toBe(403);
    expect((await api("GET", `/api/v1/servers/${w.serverId}/bans`, { token: member.token })).status).toBe(403);

    const res = await banReq(admin, w.serverId, victim.username);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      agent: { id: victim.id },
      auto_ban: false,
      banned_by: { id: admin.id },
      reason: "rude",
    });
    expect(await isMember(w.serverId, victim.id)).toBe(false);
    expect(await canPost(victim, w.channelId)).toBe(false);
    expect((await banReq(admin, w.serverId, victim.username)).status).toBe(409);
    // a banned agent cannot rejoin by itself (RLS server_members_insert)
    await expect(
      asActor(agentActor(victim.id), (tx) =>
        tx.insert(serverMembers).values({ serverId: w.serverId, agentId: victim.id }),
      ),
    ).rejects.toMatchObject({ status: 403 });

    expect(
      (await api("DELETE", `/api/v1/servers/${w.serverId}/ban/${victim.username}`, { token: member.token })).status,
    ).toBe(403);
    const un = await api("DELETE", `/api/v1/servers/${w.serverId}/ban/${victim.username}`, { token: admin.token });
    expect(un.status).toBe(204);
    expect(await banOf(w.serverId, victim.id)).toBeUndefined();
    expect(
      (await api("DELETE", `/api/v1/servers/${w.serverId}/ban/${victim.username}`, { token: admin.token })).status,
    ).toBe(404);
    await asActor(agentActor(victim.id), (tx) =>
      tx.insert(serverMembers).values({ serverId: w.serverId, agentId: victim.id }),
    );
    expect(await canPost(victim, w.channelId)).toBe(true);
    expect(await auditEvents(victim.id)).toEqual(["moderation.ban:agent", "moderation.unban:agent"]);
  });

  it("the owner cannot be banned; admins cannot ban each other; the owner can ban an admin", async () => {
    const w = await world();
    const admin = await joined(w, "admin");
    const admin2 = await joined(w, "admin");
    const owned = await banReq(admin, w.serverId, w.owner.username);
    expect(owned.status).toBe(403);
    expect(owned.body.error?.message).toMatch(/owner cannot be banned/);
    expect((await banReq(w.owner, w.serverId, w.owner.username)).status).toBe(403);
    const peer = await banReq(admin, w.serverId, admin2.username);
    expect(peer.status).toBe(403);
    expect(peer.body.error?.message).toMatch(/admins cannot ban other admins/);
    expect((await banReq(admin, w.serverId, admin.username)).status).toBe(400);
    expect((await banReq(w.owner, w.serverId, admin2.username)).status).toBe(201);
    expect(await isMember(w.serverId, admin2.id)).toBe(false);
  });

  it("a non-member can be banned pre-emptively; private servers are 404 to outsiders", async () => {
    const w = await world();
    const stranger = await createAgent();
    expect((await banReq(w.owner, w.serverId, stranger.username)).status).toBe(201);
    const hidden = await world({ isPublic: false });
    expect((await banReq(await createAgent(), hidden.serverId, stranger.username)).status).toBe(404);
  });

  it("lists bans newest first with a cursor", async () => {
    const w = await world();
    const victims = [await joined(w), await joined(w), await joined(w)];
    for (const v of victims) expect((await banReq(w.owner, w.serverId, v.username)).status).toBe(201);
    type Page = { items: { agent: { id: string } }[]; next_cursor: string | null };
    const p1 = await api<Page>("GET", `/api/v1/servers/${w.serverId}/bans?limit=2`, { token: w.owner.token });
    expect(p1.body.items.map((b) => b.agent.id)).toEqual([victims[2]?.id, victims[1]?.id]);
    const p2 = await api<Page>("GET", `/api/v1/servers/${w.serverId}/bans?limit=2&cursor=${p1.body.next_cursor}`, {
      token: w.owner.token,
    });
    expect(p2.body.items.map((b) => b.agent.id)).toEqual([victims[0]?.id]);
    expect(p2.body.next_cursor).toBeNull();
  });

  it("a ban closes the agent's open channel socket live (4003) and it cannot reconnect", async () => {
    const w = await world();
    const victim = await joined(w);
    const sock = await connect(w.channelId, { token: victim.token });
    await sock.next("presence");
    expect((await banReq(w.owner, w.serverId, victim.username)).status).toBe(201);
    await sock.until(() => sock.closed);
    expect(sock.closed?.code).toBe(CLOSE.forbidden);
    expect((await upgrade(w.channelId, { token: victim.token })).status).toBe(403);
  });
});

describe("PATCH /api/v1/servers/:id/moderation", () => {
  it("owner and admins set the report threshold (min 3); members cannot", async () => {
    const w = await world();
    const admin = await joined(w, "admin");
    const member = await joined(w);
    const path = `/api/v1/servers/${w.serverId}/moderation`;
    expect((await api("PATCH", path, { token: member.token, body: { report_threshold: 5 } })).status).toBe(403);
    expect((await api("PATCH", path, { token: admin.token, body: { report_threshold: 2 } })).status).toBe(400);
    const ok = await api("PATCH", path, { token: admin.token, body: { report_threshold: 5 } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ server_id: w.serverId, report_threshold: 5 });
    expect(await auditEvents(w.serverId)).toEqual(["moderation.threshold:agent"]);
  });
});
