import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agentActor } from "../../common/db/actor";
import { observers } from "../../common/db/schema";
import { api, asSystem, createAgent, queryAs, type TestAgent, testEnv, uniqueName } from "../../test/helpers";
import { signAccessToken } from "../auth/tokens";

interface Summary {
  id: string;
  username: string;
}
interface Req {
  id: string;
  from: Summary;
  to: Summary;
  status: string;
  created_at: string;
}
interface Friend {
  agent: Summary;
  dm_channel_id: string | null;
  since: string;
}
interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
interface Pending {
  received: Page<Req> | null;
  sent: Page<Req> | null;
}
interface SendResult {
  status: "pending" | "accepted";
  request: Req;
  friend: Friend | null;
}

const request = (from: TestAgent, to: { username: string }) =>
  api<SendResult>("POST", "/api/v1/friends/request", { token: from.token, body: { username: to.username } });

async function befriend(a: TestAgent, b: TestAgent): Promise<Friend> {
  expect((await request(a, b)).status).toBe(201);
  const acc = await api<Friend>("POST", "/api/v1/friends/accept", { token: b.token, body: { username: a.username } });
  expect(acc.status).toBe(200);
  return acc.body;
}

const friendsOf = async (a: TestAgent) =>
  (await api<Page<Friend>>("GET", "/api/v1/friends", { token: a.token })).body.items.map((f) => f.agent.username);

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

describe("friend requests", () => {
  it("sends a request that both sides see as pending, and notifies nothing visible to others", async () => {
    const a = await createAgent();
    const b = await createAgent();
    const sent = await request(a, b);
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({
      status: "pending",
      request: { from: { id: a.id }, to: { id: b.id }, status: "pending" },
      friend: null,
    });
    const mine = await api<Pending>("GET", "/api/v1/friends/requests", { token: a.token });
    expect(mine.body.sent?.items.map((r) => r.to.username)).toEqual([b.username]);
    expect(mine.body.received?.items).toEqual([]);
    const theirs = await api<Pending>("GET", "/api/v1/friends/requests", { token: b.token });
    expect(theirs.body.received?.items.map((r) => r.id)).toEqual([sent.body.request.id]);
  });

  it("accepting creates the friendship and one DM channel visible to both and invisible to a third agent", async () => {
    const a = await createAgent();
    const b = await createAgent();
    const c = await createAgent();
    const sent = await request(a, b);
    const acc = await api<Friend>("POST", "/api/v1/friends/accept", {
      token: b.token,
      body: { request_id: sent.body.request.id },
    });
    expect(acc.status).toBe(200);
    expect(acc.body.agent.id).toBe(a.id);
    const dm = acc.body.dm_channel_id;
    expect(dm).toMatch(/^[0-9a-f-]{36}$/);

    const fa = await api<Page<Friend>>("GET", "/api/v1/friends", { token: a.token });
    expect(fa.body.items).toEqual([
      { agent: expect.objectContaining({ id: b.id }), dm_channel_id: dm, since: expect.any(String) },
    ]);
    expect(await friendsOf(b)).toEqual([a.username]);

    const [lo, hi] = a.id < b.id ? [a.id, b.id] : [b.id, a.id];
    for (const who of [a, b]) {
      const rows = await queryAs(
        agentActor(who.id),
        sql`select type, dm_agent_a_id, dm_agent_b_id from channels where id = ${dm}`,
      );
      expect(rows).toEqual([{ type: "dm", dm_agent_a_id: lo, dm_agent_b_id: hi }]);
    }
    expect(await queryAs(agentActor(c.id), sql`select id from channels where id = ${dm}`)).toEqual([]);
    expect(await friendsOf(c)).toEqual([]);
    const pending = await api<Pending>("GET", "/api/v1/friends/requests", { token: b.token });
    expect(pending.body.received?.items).toEqual([]);
  });

  it("refuses a duplicate request (409), a request to an existing friend (409) and to oneself (400)", async () => {
    const a = await createAgent();
    const b = await createAgent();
    expect((await request(a, b)).status).toBe(201);
    const dup = await request(a, b);
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ error: { code: "conflict" } });
    await api("POST", "/api/v1/friends/accept", { token: b.token, body: { username: a.username } });
    expect((await request(a, b)).status).toBe(409);
    expect((await request(b, a)).status).toBe(409);
    expect((await request(a, a)).status).toBe(400);
  });

  it("accepts at once when the other agent had already asked (crossing requests)", async () => {
    const a = await createAgent();
    const b = await createAgent();
    expect((await request(a, b)).status).toBe(201);
    const back = await request(b, a);
    expect(back.status).toBe(200);
    expect(back.body.status).toBe("accepted");
    expect(back.body.friend?.agent.id).toBe(a.id);
    expect(back.body.friend?.dm_channel_id).toEqual(expect.any(String));
    expect(await friendsOf(a)).toEqual([b.username]);
  });

  it("rejects a request: no friendship, gone from both pending lists, and it may be sent again", async () => {
    const a = await createAgent();
    const b = await createAgent();
    await request(a, b);
    const rej = await api<Req>("POST", "/api/v1/friends/reject", { token: b.token, body: { username: a.username } });
    expect(rej.status).toBe(200);
    expect(rej.body).toMatchObject({ status: "rejected", from: { id: a.id } });
    expect(await friendsOf(b)).toEqual([]);
    const pa = await api<Pending>("GET", "/api/v1/friends/requests", { token: a.token });
    expect(pa.body.sent?.items).toEqual([]);
    // the sender cannot accept its own request, and a rejected one is no longer pending
    expect(
      (await api("POST", "/api/v1/friends/accept", { token: a.token, body: { username: b.username } })).status,
    ).toBe(404);
    expect(
      (await api("POST", "/api/v1/friends/accept", { token: b.token, body: { username: a.username } })).status,
    ).toBe(404);
    expect((await request(a, b)).status).toBe(201);
  });

  it("removes a friend: friendship and requests gone for both, the DM history kept but closed to posting", async () => {
    const a = await createAgent();
    const b = await createAgent();
    const f = await befriend(a, b);
    const del = await api("DELETE", `/api/v1/friends/${b.username}`, { token: a.token });
    expect(del.status).toBe(204);
    expect(await friendsOf(a)).toEqual([]);
    expect(await friendsOf(b)).toEqual([]);
    expect((await api("DELETE", `/api/v1/friends/${b.username}`, { token: a.token })).status).toBe(404);
    // the DM channel stays readable by its participants, but neither can post any more
    expect(await queryAs(agentActor(b.id), sql`select id from channels where id = ${f.dm_channel_id}`)).toHaveLength(1);
    const [post] = await queryAs<{ ok: boolean }>(
      agentActor(a.id),
      sql`select app.can_post_channel(${f.dm_channel_id}::uuid) as ok`,
    );
    expect(post?.ok).toBe(false);
    // befriending again reuses the same DM channel, and posting is allowed again
    const again = await befriend(b, a);
    expect(again.dm_channel_id).toBe(f.dm_channel_id);
    const [post2] = await queryAs<{ ok: boolean }>(
      agentActor(a.id),
      sql`select app.can_post_channel(${f.dm_channel_id}::uuid) as ok`,
    );
    expect(post2?.ok).toBe(true);
  });

  it("withdraws the caller's own pending request through DELETE /friends/:username", async () => {
    const a = await createAgent();
    const b = await createAgent();
    await request(a, b);
    expect((await api("DELETE", `/api/v1/friends/${b.username}`, { token: a.token })).status).toBe(204);
    const pb = await api<Pending>("GET", "/api/v1/friends/requests", { token: b.token });
    expect(pb.body.received?.items).toEqual([]);
  });

  it("answers 404 for unknown agents and 400 for malformed usernames or accept bodies", async () => {
    const a = await createAgent();
    expect((await request(a, { username: uniqueName("ghost") })).status).toBe(404);
    expect((await request(a, { username: "Not Valid!" })).status).toBe(400);
    expect((await api("POST", "/api/v1/friends/request", { token: a.token, body: {} })).status).toBe(400);
    expect((await api("DELETE", "/api/v1/friends/x", { token: a.token })).status).toBe(400);
    expect((await api("POST", "/api/v1/friends/accept", { token: a.token, body: {} })).status).toBe(400);
    expect(
      (
        await api("POST", "/api/v1/friends/accept", {
          token: a.token,
          body: { username: "b", request_id: crypto.randomUUID() },
        })
      ).status,
    ).toBe(400);
    expect((await api("POST", "/api/v1/friends/accept", { token: a.token, body: { request_id: "nope" } })).status).toBe(
      400,
    );
    expect(
      (await api("POST", "/api/v1/friends/reject", { token: a.token, body: { request_id: crypto.randomUUID() } }))
        .status,
    ).toBe(404);
  });

  it("refuses anonymous callers (401) and observer tokens (403) on every friend endpoint", async () => {
    const a = await createAgent();
    const obs = await observerToken();
    const calls: [string, string, unknown][] = [
      ["POST", "/api/v1/friends/request", { username: a.username }],
      ["POST", "/api/v1/friends/accept", { username: a.username }],
      ["POST", "/api/v1/friends/reject", { username: a.username }],
      ["DELETE", `/api/v1/friends/${a.username}`, undefined],
      ["GET", "/api/v1/friends", undefined],
      ["GET", "/api/v1/friends/requests", undefined],
    ];
    for (const [method, path, body] of calls) {
      expect((await api(method, path, { body })).status, `${method} ${path}`).toBe(401);
      expect((await api(method, path, { body, token: obs })).status, `${method} ${path}`).toBe(403);
    }
  });

  it("allows 20 friend requests an hour and refuses the 21st with 429 and Retry-After", async () => {
    const a = await createAgent();
    const targets = await Promise.all(Array.from({ length: 21 }, () => createAgent()));
    for (const t of targets.slice(0, 20)) expect((await request(a, t)).status).toBe(201);
    const over = await request(a, targets[20] ?? { username: "x" });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ error: { code: "rate_limited", retry_after: expect.any(Number) } });
    expect(over.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("pages friends and pending requests with cursors, newest first", async () => {
    const a = await createAgent();
    const others = [];
    for (let i = 0; i < 3; i++) {
      const o = await createAgent();
      others.push(o);
      await befriend(o, a);
    }
    const p1 = await api<Page<Friend>>("GET", "/api/v1/friends?limit=2", { token: a.token });
    expect(p1.body.items.map((f) => f.agent.username)).toEqual([others[2]?.username, others[1]?.username]);
    expect(p1.body.next_cursor).toEqual(expect.any(String));
    const p2 = await api<Page<Friend>>("GET", `/api/v1/friends?limit=2&cursor=${p1.body.next_cursor}`, {
      token: a.token,
    });
    expect(p2.body.items.map((f) => f.agent.username)).toEqual([others[0]?.username]);
    expect(p2.body.next_cursor).toBeNull();

    const senders = [];
    for (let i = 0; i < 3; i++) {
      const s = await createAgent();
      senders.push(s);
      await request(s, a);
    }
    const r1 = await api<Pending>("GET", "/api/v1/friends/requests?direction=received&limit=2", { token: a.token });
    expect(r1.body.sent).toBeNull();
    expect(r1.body.received?.items.map((r) => r.from.username)).toEqual([senders[2]?.username, senders[1]?.username]);
    const cur = r1.body.received?.next_cursor;
    const r2 = await api<Pending>("GET", `/api/v1/friends/requests?direction=received&limit=2&cursor=${cur}`, {
      token: a.token,
    });
    expect(r2.body.received?.items.map((r) => r.from.username)).toEqual([senders[0]?.username]);
    expect(r2.body.received?.next_cursor).toBeNull();
    // a cursor belongs to one side
    expect((await api("GET", `/api/v1/friends/requests?direction=sent&cursor=${cur}`, { token: a.token })).status).toBe(
      400,
    );
    expect((await api("GET", `/api/v1/friends/requests?cursor=${cur}`, { token: a.token })).status).toBe(400);
    expect((await api("GET", "/api/v1/friends?cursor=bm9wZQ", { token: a.token })).status).toBe(400);
  });
});
