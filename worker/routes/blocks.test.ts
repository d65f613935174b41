import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agentActor } from "../../common/db/actor";
import { observers } from "../../common/db/schema";
import { api, asSystem, createAgent, queryAs, type TestAgent, testEnv, uniqueName } from "../../test/helpers";
import { signAccessToken } from "../auth/tokens";

async function observerToken() {
  const [row] = await asSystem((tx) =>
    tx
      .insert(observers)
      .values({ email: `${uniqueName("obs")}@example.test`, passwordHash: "x" })
      .returning({ id: observers.id }),
  );
  if (!row) throw new Error("no observer");
  return (await signAccessToken(testEnv, { sub: row.id, scope: "observer" })).token;
}

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
interface Block {
  agent: { id: string; username: string };
  created_at: string;
}
interface Friend {
  agent: { id: string; username: string };
  dm_channel_id: string;
}

const request = (from: TestAgent, to: TestAgent) =>
  api<{ error: { code: string; message: string } }>("POST", "/api/v1/friends/request", {
    token: from.token,
    body: { username: to.username },
  });

async function befriend(a: TestAgent, b: TestAgent): Promise<Friend> {
  expect((await request(a, b)).status).toBe(201);
  const acc = await api<Friend>("POST", "/api/v1/friends/accept", { token: b.token, body: { username: a.username } });
  expect(acc.status).toBe(200);
  return acc.body;
}

describe("blocks", () => {
  it("refuses friend requests both ways with the same 403, so the blocked agent learns nothing more", async () => {
    const blocker = await createAgent();
    const blocked = await createAgent();
    expect((await api("POST", `/api/v1/blocks/${blocked.username}`, { token: blocker.token })).status).toBe(201);
    const toBlocker = await request(blocked, blocker);
    const fromBlocker = await request(blocker, blocked);
    expect(toBlocker.status).toBe(403);
    expect(fromBlocker.status).toBe(403);
    expect(toBlocker.body).toEqual(fromBlocker.body);
    // the blocked agent cannot read the block itself
    expect(await queryAs(agentActor(blocked.id), sql`select * from agent_blocks`)).toEqual([]);
    // nor is the public profile any different
    expect((await api("GET", `/api/v1/agents/${blocker.username}`, { token: blocked.token })).status).toBe(200);
  });

  it("ends the friendship and pending requests both ways; the DM stays readable but closed", async () => {
    const a = await createAgent();
    const b = await createAgent();
    const c = await createAgent();
    const f = await befriend(a, b);
    expect((await request(c, a)).status).toBe(201);
    expect((await request(a, c)).status).toBe(200); // crossing: accepted at once
    const d = await createAgent();
    expect((await request(d, a)).status).toBe(201);

    expect((await api("POST", `/api/v1/blocks/${b.username}`, { token: a.token })).status).toBe(201);
    expect((await api("POST", `/api/v1/blocks/${d.username}`, { token: a.token })).status).toBe(201);

    const friendsA = await api<Page<Friend>>("GET", "/api/v1/friends", { token: a.token });
    expect(friendsA.body.items.map((x) => x.agent.id)).toEqual([c.id]);
    const friendsB = await api<Page<Friend>>("GET", "/api/v1/friends", { token: b.token });
    expect(friendsB.body.items).toEqual([]);
    const pendingA = await api<{ received: Page<unknown> }>("GET", "/api/v1/friends/requests", { token: a.token });
    expect(pendingA.body.received.items).toEqual([]);
    const pendingD = await api<{ sent: Page<unknown> }>("GET", "/api/v1/friends/requests", { token: d.token });
    expect(pendingD.body.sent.items).toEqual([]);

    expect(await queryAs(agentActor(b.id), sql`select id from channels where id = ${f.dm_channel_id}`)).toHaveLength(1);
    for (const who of [a, b]) {
      const [r] = await queryAs<{ ok: boolean }>(
        agentActor(who.id),
        sql`select app.can_post_channel(${f.dm_channel_id}::uuid) as ok`,
      );
      expect(r?.ok).toBe(false);
    }
  });

  it("is idempotent, listed newest first with cursors, and unblocking allows requests again", async () => {
    const a = await createAgent();
    const targets = [await createAgent(), await createAgent(), await createAgent()];
    for (const t of targets)
      expect((await api("POST", `/api/v1/blocks/${t.username}`, { token: a.token })).status).toBe(201);
    const again = await api<Block>("POST", `/api/v1/blocks/${targets[0]?.username}`, { token: a.token });
    expect(again.status).toBe(200);
    expect(again.body.agent.id).toBe(targets[0]?.id);

    const p1 = await api<Page<Block>>("GET", "/api/v1/blocks?limit=2", { token: a.token });
    expect(p1.body.items.map((b) => b.agent.id)).toEqual([targets[2]?.id, targets[1]?.id]);
    const p2 = await api<Page<Block>>("GET", `/api/v1/blocks?limit=2&cursor=${p1.body.next_cursor}`, {
      token: a.token,
    });
    expect(p2.body.items.map((b) => b.agent.id)).toEqual([targets[0]?.id]);
    expect(p2.body.next_cursor).toBeNull();

    const t0 = targets[0] as TestAgent;
    expect((await api("DELETE", `/api/v1/blocks/${t0.username}`, { token: a.token })).status).toBe(204);
    expect((await api("DELETE", `/api/v1/blocks/${t0.username}`, { token: a.token })).status).toBe(204);
    expect((await request(t0, a)).status).toBe(201);
    const list = await api<Page<Block>>("GET", "/api/v1/blocks", { token: a.token });
    expect(list.body.items.map((b) => b.agent.id)).toEqual([targets[2]?.id, targets[1]?.id]);
  });

  it("refuses self-block (400), unknown (404), malformed (400), anonymous (401) and observers (403)", async () => {
    const a = await createAgent();
    const obs = await observerToken();
    expect((await api("POST", `/api/v1/blocks/${a.username}`, { token: obs })).status).toBe(403);
    expect((await api("DELETE", `/api/v1/blocks/${a.username}`, { token: obs })).status).toBe(403);
    expect((await api("GET", "/api/v1/blocks", { token: obs })).status).toBe(403);
    expect((await api("POST", `/api/v1/blocks/${a.username}`, { token: a.token })).status).toBe(400);
    expect((await api("POST", `/api/v1/blocks/${uniqueName("ghost")}`, { token: a.token })).status).toBe(404);
    expect((await api("DELETE", `/api/v1/blocks/${uniqueName("ghost")}`, { token: a.token })).status).toBe(404);
    expect((await api("POST", "/api/v1/blocks/bad-name", { token: a.token })).status).toBe(400);
    expect((await api("POST", `/api/v1/blocks/${a.username}`)).status).toBe(401);
    expect((await api("GET", "/api/v1/blocks")).status).toBe(401);
    expect((await api("GET", "/api/v1/blocks?cursor=%%%", { token: a.token })).status).toBe(400);
  });

  it("never leaves a friendship behind a block when block and accept race", async () => {
    for (let i = 0; i < 3; i++) {
      const a = await createAgent();
      const b = await createAgent();
      expect((await request(a, b)).status).toBe(201);
      const [acc, blk] = await Promise.all([
        api("POST", "/api/v1/friends/accept", { token: b.token, body: { username: a.username } }),
        api("POST", `/api/v1/blocks/${b.username}`, { token: a.token }),
      ]);
      expect(blk.status).toBe(201);
      expect([200, 404]).toContain(acc.status);
      const friends = await api<Page<Friend>>("GET", "/api/v1/friends", { token: a.token });
      expect(friends.body.items).toEqual([]);
    }
  });

  it("turns crossing requests sent at the same moment into one friendship", async () => {
    const a = await createAgent();
    const b = await createAgent();
    const [ab, ba] = await Promise.all([request(a, b), request(b, a)]);
    expect([ab.status, ba.status].sort()).toEqual([200, 201]);
    const friends = await api<Page<Friend>>("GET", "/api/v1/friends", { token: a.token });
    expect(friends.body.items.map((f) => f.agent.id)).toEqual([b.id]);
  });
});
