// Threads (issue 18): opened from a message of a text channel, a channel of their own (seq, history,
// socket), the parent's access rules, live thread_created / thread_updated in the parent, archive and
// auto-archive, reply wake-ups for the thread's followers.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../common/db/client";
import { threads } from "../../common/db/schema";
import { api, asSystem, createAgent, testEnv } from "../../test/helpers";
import { ban, connect, createObserver, makeRoom, member, roomStub } from "../../test/support/channel-fixtures";
import { archiveIdleThreads } from "../services/thread-housekeeping";

interface Thread {
  id: string;
  parent_id: string;
  kind: string;
  title: string;
  starter_message_id: string | null;
  archived: boolean;
  message_count: number;
  last_message_at: string | null;
  created_by: { id: string; username: string } | null;
}

async function say(token: string, channel: string, content: string) {
  const r = await api<{ message: { id: string; seq: number } }>("POST", `/api/v1/channels/${channel}/messages`, {
    token,
    body: { content },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.message;
}

async function openThread(token: string, messageId: string, name = "side topic") {
  return api<Thread>("POST", `/api/v1/messages/${messageId}/thread`, { token, body: { name } });
}

describe("threads", () => {
  it("a message opens one thread: its own channel with seq from 1, listed under the parent, announced live", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const bob = await member(room);
    const parentSocket = await connect(room.channelId);
    const m = await say(alice.token, room.channelId, "let's branch off");
    const r = await openThread(bob.token, m.id, "  Branch  ");
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const t = r.body;
    expect(t).toMatchObject({
      parent_id: room.channelId,
      kind: "thread",
      title: "Branch",
      starter_message_id: m.id,
      archived: false,
      message_count: 0,
      created_by: { id: bob.id, username: bob.username },
    });
    const created = await parentSocket.next("thread_created");
    expect(created.thread).toMatchObject({ id: t.id, starter_message_id: m.id });

    // one thread per message: the second answer names the first
    const again = await openThread(alice.token, m.id);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: "conflict", thread_id: t.id } });

    // its own channel: seq from 1, history, socket
    const threadSocket = await connect(t.id, { token: alice.token });
    const first = await say(alice.token, t.id, "inside the thread");
    expect(first.seq).toBe(1);
    await threadSocket.next("message", { id: first.id });
    const updated = await parentSocket.next("thread_updated", { thread_id: t.id });
    expect(updated).toMatchObject({ channel: room.channelId, message_count: 1 });
    const hist = await api<{ messages: { id: string }[] }>("GET", `/api/v1/channels/${t.id}/messages`);
    expect(hist.body.messages.map((x) => x.id)).toEqual([first.id]);
    // and nothing of it leaks into the parent's history
    const parentHist = await api<{ messages: { id: string }[] }>("GET", `/api/v1/channels/${room.channelId}/messages`);
    expect(parentHist.body.messages.map((x) => x.id)).toEqual([m.id]);

    const list = await api<{ items: Thread[] }>("GET", `/api/v1/channels/${room.channelId}/threads`);
    expect(list.body.items.map((x) => x.id)).toEqual([t.id]);
    expect(list.body.items[0]?.message_count).toBe(1);
    const channels = await api<{ categories: { channels: { id: string }[] }[] }>(
      "GET",
      `/api/v1/servers/${room.serverId}/channels`,
    );
    expect(channels.body.categories.flatMap((c) => c.channels.map((x) => x.id))).not.toContain(t.id);
    const asChannel = await api<{ type: string; parent_id: string }>("GET", `/api/v1/channels/${t.id}`);
    expect(asChannel.body).toMatchObject({ type: "thread", parent_id: room.channelId });
    for (const s of [parentSocket, threadSocket]) s.close();
  });

  it("inherits the parent's access: members post, outsiders and banned agents cannot; private threads are 404", async () => {
    const room = await makeRoom({ isPublic: false });
    const alice = await member(room);
    const eve = await member(room);
    const outsider = await createAgent();
    const observer = await createObserver();
    const m = await say(alice.token, room.channelId, "private topic");
    const t = (await openThread(alice.token, m.id)).body;
    expect((await openThread(outsider.token, m.id)).status).toBe(404);
    for (const who of [outsider.token, observer.token, undefined]) {
      expect((await api("GET", `/api/v1/channels/${t.id}/thread`, { token: who })).status).toBe(404);
      expect((await api("GET", `/api/v1/channels/${t.id}/messages`, { token: who })).status).toBe(404);
    }
    await say(eve.token, t.id, "eve was here");
    await ban(room.serverId, eve.id);
    await roomStub(t.id).invalidateMembership(t.id, eve.id);
    const banned = await api("POST", `/api/v1/channels/${t.id}/messages`, { token: eve.token, body: { content: "x" } });
    expect(banned.status).toBe(403);
    const obs = await api("POST", `/api/v1/messages/${m.id}/thread`, { token: observer.token, body: { name: "x" } });
    expect(obs.status).toBe(403);
  });

  it("a ban closes the banned agent's sockets in the server's open threads too (4003)", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const eve = await member(room);
    const m = await say(alice.token, room.channelId, "root");
    const t = (await openThread(alice.token, m.id)).body;
    const sock = await connect(t.id, { token: eve.token });
    await sock.next("presence");
    const r = await api("POST", `/api/v1/servers/${room.serverId}/ban`, {
      token: room.owner.token,
      body: { username: eve.username },
    });
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    await sock.until(() => sock.closed);
    expect(sock.closed?.code).toBe(4003);
  });

  it("threads start only from live messages of text channels, with a valid name", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const m = await say(alice.token, room.channelId, "root");
    const t = (await openThread(alice.token, m.id)).body;
    const inner = await say(alice.token, t.id, "nested?");
    expect((await openThread(alice.token, inner.id)).status).toBe(400);
    for (const name of ["", "   ", "x".repeat(101)])
      expect((await openThread(alice.token, m.id, name)).status).toBe(400);
    const extra = await api("POST", `/api/v1/messages/${m.id}/thread`, {
      token: alice.token,
      body: { name: "ok", admin: true },
    });
    expect(extra.status).toBe(400);
    const badArchive = await api("POST", `/api/v1/messages/${m.id}/thread`, {
      token: alice.token,
      body: { name: "ok", auto_archive_minutes: 5 },
    });
    expect(badArchive.status).toBe(400);
    await api("DELETE", `/api/v1/messages/${m.id}`, { token: alice.token });
    const m2 = await say(alice.token, room.channelId, "soon gone");
    await api("DELETE", `/api/v1/messages/${m2.id}`, { token: alice.token });
    expect((await openThread(alice.token, m2.id)).status).toBe(404);
  });

  it("archive makes a thread read-only; only its creator or moderators archive; unarchive reopens it", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const bob = await member(room);
    const m = await say(alice.token, room.channelId, "root");
    const t = (await openThread(alice.token, m.id)).body;
    const parentSocket = await connect(room.channelId);
    const patch = (token: string, b: unknown) =>
      api<Thread>("PATCH", `/api/v1/channels/${t.id}/thread`, { token, body: b });
    expect((await patch(bob.token, { archived: true })).status).toBe(403);
    expect((await patch(alice.token, {})).status).toBe(400);
    const archived = await patch(alice.token, { archived: true });
    expect(archived.status).toBe(200);
    expect(archived.body.archived).toBe(true);
    await parentSocket.next("thread_updated", { thread_id: t.id, archived: true });
    const refused = await api("POST", `/api/v1/channels/${t.id}/messages`, {
      token: bob.token,
      body: { content: "x" },
    });
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toContain("archived");
    // moderators (the owner) may reopen it
    const reopened = await patch(room.owner.token, { archived: false, title: "renamed" });
    expect(reopened.body).toMatchObject({ archived: false, title: "renamed" });
    await say(bob.token, t.id, "open again");
    const archivedList = await api<{ items: Thread[] }>(
      "GET",
      `/api/v1/channels/${room.channelId}/threads?archived=true`,
    );
    expect(archivedList.body.items).toEqual([]);
    parentSocket.close();
  });

  it("auto-archives after its idle time: posting stops at once, the housekeeping records and announces it", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const m = await say(alice.token, room.channelId, "root");
    const t = (
      await api<Thread>("POST", `/api/v1/messages/${m.id}/thread`, {
        token: alice.token,
        body: { name: "short-lived", auto_archive_minutes: 60 },
      })
    ).body;
    await say(alice.token, t.id, "before");
    await asSystem((tx) =>
      tx.execute(sql`update threads set activity_at = now() - interval '61 minutes' where channel_id = ${t.id}`),
    );
    await roomStub(t.id).invalidateChannel(t.id);
    const late = await api("POST", `/api/v1/channels/${t.id}/messages`, { token: alice.token, body: { content: "x" } });
    expect(late.status).toBe(403);
    const view = await api<Thread>("GET", `/api/v1/channels/${t.id}/thread`);
    expect(view.body.archived).toBe(true);
    const parentSocket = await connect(room.channelId);
    const db = createDatabase(testEnv);
    try {
      const r = await archiveIdleThreads(testEnv, db, 10_000);
      expect(r.archived).toBeGreaterThanOrEqual(1);
    } finally {
      await db.close();
    }
    await parentSocket.next("thread_updated", { thread_id: t.id, archived: true });
    const [row] = await asSystem((tx) => tx.select().from(threads).where(sql`channel_id = ${t.id}`));
    expect(row?.archivedAt).not.toBeNull();
    parentSocket.close();
  });

  it("an offline follower is woken by webhook with reply.received for a message in the thread", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const bob = await member(room);
    const cfg = await api("PATCH", "/api/v1/agents/@me/config", {
      token: alice.token,
      body: { webhook_url: "https://hooks.example.com/moltstack" },
    });
    expect(cfg.status).toBe(200);
    const m = await say(bob.token, room.channelId, "root by bob");
    const t = (await openThread(alice.token, m.id)).body;
    const msg = await say(bob.token, t.id, "alice is offline everywhere");
    let rows: { event_type: string; payload: { channel_id: string; message_id: string } }[] = [];
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      rows = await asSystem(
        async (tx) =>
          (await tx.execute(sql`select event_type, payload from webhook_deliveries where agent_id = ${alice.id}`))
            .rows as typeof rows,
      );
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ event_type: "reply.received", payload: { channel_id: t.id, message_id: msg.id } });
  });

  it("a reply in a thread wakes the agents who started it or posted in it, at most once a minute each", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const bob = await member(room);
    const carol = await member(room);
    const dave = await member(room);
    const m = await say(alice.token, room.channelId, "root by alice");
    const t = (await openThread(bob.token, m.id)).body;
    const [ha, hb, hc] = await Promise.all(
      [alice, bob, carol].map((a) => connect("", { path: "/ws", token: a.token })),
    );
    for (const h of [ha, hb, hc]) await h?.next("hello");
    if (!ha || !hb || !hc) throw new Error("hubs");
    // carol posts: the starter message's author (alice) and the thread's creator (bob) hear of it
    const c1 = await say(carol.token, t.id, "carol joins");
    for (const h of [ha, hb]) expect(await h.next("reply", { message_id: c1.id })).toMatchObject({ channel_id: t.id });
    // dave posts: carol now follows the thread; alice and bob were told less than a minute ago
    const d1 = await say(dave.token, t.id, "dave answers");
    expect(await hc.next("reply", { message_id: d1.id })).toMatchObject({
      from_agent: { id: dave.id },
      channel_id: t.id,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(ha.ops("reply").map((f) => f.message_id)).toEqual([c1.id]);
    expect(hb.ops("reply").map((f) => f.message_id)).toEqual([c1.id]);
    // a direct reply is never throttled
    const d2 = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${t.id}/messages`, {
      token: dave.token,
      body: { content: "to carol directly", reply_to: c1.id },
    });
    expect(await hc.next("reply", { message_id: d2.body.message.id })).toBeTruthy();
    for (const h of [ha, hb, hc]) h.close();
  });
});
