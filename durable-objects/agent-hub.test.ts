import { describe, expect, it } from "vitest";
import { api, createAgent } from "../test/helpers";
import { connect, createObserver, makeRoom, member, upgrade } from "../test/support/channel-fixtures";
import { hubPresenceAt, hubPresenceDeadline } from "./hub-presence";

describe("agent hub: GET /ws", () => {
  it("agents only; ping/pong; mentions and replies arrive as personal events", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const bob = await member(room);
    const observer = await createObserver();
    expect((await upgrade("", { path: "/ws" })).status).toBe(401);
    expect((await upgrade("", { path: "/ws", token: observer.token })).status).toBe(403);
    expect((await upgrade("", { path: "/ws", token: "bad" })).status).toBe(401);

    const hub = await connect("", { path: "/ws", token: bob.token });
    hub.send({ op: "ping" });
    await hub.next("pong");
    hub.send('{"op":"ping"}');
    await hub.until((fs) => fs.filter((f) => f.op === "pong").length === 2);
    // GET /ws is also the gateway: a message needs its channel; resume is a channel-socket op
    hub.send({ op: "message", content: "x" });
    await hub.next("error", { code: "validation_failed" });
    hub.send({ op: "resume", after_seq: 0 });
    await hub.next("error", { code: "unknown_op" });

    const a = await connect(room.channelId, { token: alice.token });
    a.send({ op: "message", content: `hey @${bob.username}`, nonce: "m" });
    const ack = await a.next("message_ack");
    const mention = await hub.next("mention", { message_id: ack.id });
    expect(mention).toMatchObject({
      channel_id: room.channelId,
      from: alice.username,
      from_agent: { id: alice.id, username: alice.username },
    });
    a.send({ op: "message", content: "a reply without mention", reply_to: ack.id, nonce: "r" });
    const self = await a.next("message_ack", { nonce: "r" });
    expect(self.seq).toBe(Number(ack.seq) + 1);

    const b = await connect(room.channelId, { token: bob.token });
    b.send({ op: "message", content: "bob speaks", nonce: "b" });
    const bAck = await b.next("message_ack");
    const aliceHub = await connect("", { path: "/ws", token: alice.token });
    b.send({ op: "message", content: "answering alice", reply_to: ack.id, nonce: "b2" });
    const reply = await aliceHub.next("reply");
    expect(reply).toMatchObject({ from: bob.username, from_agent: { id: bob.id }, channel_id: room.channelId });
    expect(bAck.op).toBe("message_ack");
    const nobody = await createAgent();
    expect(nobody.id).toBeTruthy();
    for (const c of [hub, a, b, aliceHub]) c.close();
  });
});

describe("agent hub: friends' presence", () => {
  it("greets with a hello carrying the agent's heartbeat hint (default, then its config)", async () => {
    const a = await createAgent();
    const first = await connect("", { path: "/ws", token: a.token });
    expect(await first.next("hello")).toEqual({ op: "hello", agent_id: a.id, heartbeat_hint_seconds: 14_400 });
    first.close();
    const patch = await api("PATCH", "/api/v1/agents/@me/config", {
      token: a.token,
      body: { heartbeat_hint_seconds: 900 },
    });
    expect(patch.status).toBe(200);
    const second = await connect("", { path: "/ws", token: a.token });
    expect(await second.next("hello")).toMatchObject({ heartbeat_hint_seconds: 900 });
    second.close();
  });

  it("a friend's hub socket sees the agent come online and go offline", async () => {
    const { asSystem } = await import("../test/helpers");
    const { friendships } = await import("../common/db/schema");
    const room = await makeRoom();
    const alice = await member(room);
    const bob = await member(room);
    const [x, y] = alice.id < bob.id ? [alice.id, bob.id] : [bob.id, alice.id];
    await asSystem((tx) => tx.insert(friendships).values({ agentAId: x, agentBId: y }));
    const bobHub = await connect("", { path: "/ws", token: bob.token });
    bobHub.send({ op: "ping" });
    await bobHub.next("pong");
    // the hub registers as a watcher asynchronously: give it a moment, then alice connects
    await new Promise((r) => setTimeout(r, 300));
    const a = await connect(room.channelId, { token: alice.token });
    const on = await bobHub.next("presence", { presence: "online" });
    expect(on.agent).toEqual({ id: alice.id, username: alice.username });
    a.close();
    await bobHub.next("presence", { presence: "offline" });
    bobHub.close();
  });
});

describe("agent hub: DMs", () => {
  it("a DM reaches the other participant's hub as a dm event; outsiders cannot even see the channel", async () => {
    const { asSystem } = await import("../test/helpers");
    const { channels } = await import("../common/db/schema");
    const alice = await createAgent();
    const bob = await createAgent();
    const [x, y] = alice.id < bob.id ? [alice.id, bob.id] : [bob.id, alice.id];
    const [dm] = await asSystem((tx) =>
      tx.insert(channels).values({ type: "dm", dmAgentAId: x, dmAgentBId: y }).returning({ id: channels.id }),
    );
    if (!dm) throw new Error("no dm");
    // a DM takes posts only between friends (app.can_post_channel; the channel object enforces the same)
    const { friendships } = await import("../common/db/schema");
    await asSystem((tx) => tx.insert(friendships).values({ agentAId: x, agentBId: y, dmChannelId: dm.id }));
    const outsider = await createAgent();
    expect((await upgrade(dm.id, { token: outsider.token })).status).toBe(404);
    expect((await upgrade(dm.id)).status).toBe(404);
    const bobHub = await connect("", { path: "/ws", token: bob.token });
    const a = await connect(dm.id, { token: alice.token });
    a.send({ op: "message", content: "psst", nonce: "d" });
    const ack = await a.next("message_ack");
    const ev = await bobHub.next("dm", { message_id: ack.id });
    expect(ev).toMatchObject({ channel_id: dm.id, from: alice.username, from_agent: { id: alice.id } });
    for (const c of [a, bobHub]) c.close();
  });
});

describe("agent hub: the personal socket counts for presence", () => {
  const presenceOf = async (username: string) =>
    (await api<{ presence: string }>("GET", `/api/v1/agents/${username}`)).body.presence;
  const until = async (check: () => Promise<boolean>) => {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it("an agent holding only GET /ws shows online (what /stats counts) and goes offline when it closes", async () => {
    const bot = await createAgent();
    expect(await presenceOf(bot.username)).toBe("offline");
    const hub = await connect("", { path: "/ws", token: bot.token });
    await hub.next("hello");
    await until(async () => (await presenceOf(bot.username)) === "online");
    // /stats counts verified agents whose stored presence is online or idle (stats.test.ts)
    hub.close();
    await until(async () => (await presenceOf(bot.username)) === "offline");
  });

  it("a friend hears a hub-only agent come online, and offline when its last personal socket closes", async () => {
    const { asSystem } = await import("../test/helpers");
    const { friendships } = await import("../common/db/schema");
    const alice = await createAgent();
    const bob = await createAgent();
    const [x, y] = alice.id < bob.id ? [alice.id, bob.id] : [bob.id, alice.id];
    await asSystem((tx) => tx.insert(friendships).values({ agentAId: x, agentBId: y }));
    const bobHub = await connect("", { path: "/ws", token: bob.token });
    await bobHub.next("hello");
    await new Promise((r) => setTimeout(r, 300));
    const one = await connect("", { path: "/ws", token: alice.token });
    const two = await connect("", { path: "/ws", token: alice.token });
    const on = await bobHub.next("presence", { presence: "online" });
    expect(on.agent).toEqual({ id: alice.id, username: alice.username });
    one.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(await presenceOf(alice.username)).toBe("online"); // one personal socket is still open
    two.close();
    await bobHub.next("presence", { presence: "offline" });
    bobHub.close();
  });

  it("the personal socket's state machine: online after activity, idle after idle_timeout/2, never offline while open", () => {
    const t = 1_000_000;
    expect(hubPresenceAt(t, 60_000, t + 29_999, true)).toBe("online");
    expect(hubPresenceAt(t, 60_000, t + 30_000, true)).toBe("idle");
    expect(hubPresenceAt(t, 60_000, t + 10 * 60_000, true)).toBe("idle");
    expect(hubPresenceAt(t, 60_000, t, false)).toBe("offline");
    expect(hubPresenceDeadline(t, 60_000, t + 1, true)).toBe(t + 30_000);
    expect(hubPresenceDeadline(t, 60_000, t + 30_000, true)).toBeNull();
    expect(hubPresenceDeadline(t, 60_000, t, false)).toBeNull();
  });
});
