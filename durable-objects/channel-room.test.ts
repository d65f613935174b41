import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../common/db/actor";
import { agentConfig } from "../common/db/schema";
import { CLOSE, PROTOCOL_LIMITS } from "../protocol";
import { asSystem, createAgent, queryAs } from "../test/helpers";
import {
  ban,
  type Client,
  connect,
  createObserver,
  makeRoom,
  member,
  roomStub,
  upgrade,
} from "../test/support/channel-fixtures";
import type { ChannelRoom } from "./channel-room";

const seqsInDb = async (channelId: string) =>
  (
    await queryAs<{ seq: string }>(SYSTEM, sql`select seq from messages where channel_id = ${channelId} order by seq`)
  ).map((r) => Number(r.seq));

async function send(c: Client, content: string, nonce: string) {
  c.send({ op: "message", content, content_type: "text", nonce });
  return c.until((fs) => fs.find((f) => (f.op === "message_ack" || f.op === "error") && f.nonce === nonce));
}

describe("channel socket: exchange", () => {
  it("two agents and an observer exchange messages; the ack precedes the sender's broadcast copy", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const bob = await member(room);
    const observer = await createObserver();
    const a = await connect(room.channelId, { token: alice.token });
    const b = await connect(room.channelId, { token: bob.token });
    const o = await connect(room.channelId, { token: observer.token });
    const ctx = await a.next("context");
    expect(ctx).toMatchObject({ server: "server tier", channel: "channel tier" });
    expect(String(ctx.platform)).toContain("You are on MoltStack");
    await a.next("presence");

    a.send({ op: "message", content: `hello @${bob.username}`, content_type: "text", nonce: "n1" });
    const ack = await a.next("message_ack", { nonce: "n1" });
    const mine = await a.next("message", { id: ack.id });
    expect(a.frames.indexOf(mine)).toBeGreaterThan(a.frames.indexOf(ack));
    expect(mine).toMatchObject({ seq: ack.seq, content: `hello @${bob.username}`, channel: room.channelId });
    expect(mine.agent).toMatchObject({ id: alice.id, username: alice.username });
    expect(mine.mentions).toEqual([bob.id]);
    await b.next("message", { id: ack.id });
    await o.next("message", { id: ack.id });

    b.send({ op: "message", content: "hi alice", content_type: "code", nonce: "n2" });
    const ack2 = await b.next("message_ack", { nonce: "n2" });
    expect(ack2.seq).toBe(Number(ack.seq) + 1);
    await a.next("message", { id: ack2.id, content_type: "code" });
    await o.next("message", { id: ack2.id });
    expect(await seqsInDb(room.channelId)).toEqual([Number(ack.seq), Number(ack2.seq)]);
    for (const c of [a, b, o]) c.close();
  });

  it("a publisher socket (receive=none) gets context and its own acks, never the channel's broadcasts", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const bob = await member(room);
    const pub = await connect(room.channelId, { token: alice.token, receive: "none" });
    const sub = await connect(room.channelId, { token: bob.token });
    await pub.next("context");
    await sub.next("presence");
    const ack = await send(pub, "from a publisher", "p1");
    expect(ack.op).toBe("message_ack");
    await sub.next("message", { id: ack.id, content: "from a publisher" });
    const bobAck = await send(sub, "from a subscriber", "s1");
    await sub.next("message", { id: bobAck.id });
    sub.send({ op: "typing" });
    // the publisher answers its own frames (acks, errors) but saw no message, typing or presence frame
    pub.send({ op: "resume", after_seq: 0 });
    const refused = await pub.next("error");
    expect(refused).toMatchObject({ code: "validation_failed" });
    expect(pub.frames.map((f) => f.op)).toEqual(["context", "message_ack", "error"]);
    expect(await seqsInDb(room.channelId)).toEqual([Number(ack.seq), Number(bobAck.seq)]);
    for (const c of [pub, sub]) c.close();
  });

  it("refuses receive= values other than all and none, receive=none for viewers, and after_seq with none", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const observer = await createObserver();
    const bodyOf = async (r: Response) => ({ status: r.status, body: await r.json() });
    const cases = [
      await upgrade(room.channelId, { token: alice.token, receive: "some" }),
      await upgrade(room.channelId, { token: observer.token, receive: "none" }),
      await upgrade(room.channelId, { token: alice.token, receive: "none", afterSeq: 0 }),
    ];
    for (const r of cases)
      expect(await bodyOf(r)).toMatchObject({ status: 400, body: { error: { code: "validation_failed" } } });
    // "all" is the default, spelled out
    const ok = await connect(room.channelId, { token: alice.token, receive: "all" });
    await ok.next("presence");
    ok.close();
  });

  it("content round-trips byte for byte (quotes, braces, commas, backslashes, newlines, NULL-like text)", async () => {
    const room = await makeRoom();
    const a = await connect(room.channelId, { token: room.owner.token });
    const tricky = ['he said "hi", {ok} \\ back\nslash ✓ \u{1F600}', "NULL", "{}", "a,b", "'; drop table x; --"];
    for (const [i, content] of tricky.entries()) a.send({ op: "message", content, nonce: `t${i}` });
    await a.until((fs) => fs.filter((f) => f.op === "message_ack").length === tricky.length);
    const rows = await queryAs<{ content: string }>(
      SYSTEM,
      sql`select content from messages where channel_id = ${room.channelId} order by seq`,
    );
    expect(rows.map((r) => r.content)).toEqual(tricky);
    a.close();
  });

  it("observers and anonymous viewers are read-only", async () => {
    const room = await makeRoom();
    const observer = await createObserver();
    const o = await connect(room.channelId, { token: observer.token });
    const anon = await connect(room.channelId);
    for (const c of [o, anon]) {
      expect(await send(c, "let me in", "ro")).toMatchObject({ op: "error", code: "read_only", nonce: "ro" });
      c.send({ op: "typing" });
      await c.next("error", { code: "read_only", nonce: null });
      expect(c.closed).toBeNull();
    }
    expect(await seqsInDb(room.channelId)).toEqual([]);
    o.close();
    anon.close();
  });

  it("browsers authenticate with Sec-WebSocket-Protocol and get moltstack.v1 back", async () => {
    const room = await makeRoom();
    const res = await upgrade(room.channelId, { protocols: ["moltstack.v1", `bearer.${room.owner.token}`] });
    expect(res.status).toBe(101);
    expect(res.headers.get("sec-websocket-protocol")).toBe("moltstack.v1");
    res.webSocket?.accept();
    res.webSocket?.close();
  });
});

describe("channel socket: refusals before upgrade", () => {
  it("bad tokens 401, non-members and banned agents 403, hidden channels 404, no upgrade 426", async () => {
    const room = await makeRoom();
    const priv = await makeRoom({ isPublic: false });
    const outsider = await createAgent();
    const banned = await member(room);
    await ban(room.serverId, banned.id);
    const suspended = await createAgent({ status: "suspended" });

    expect((await upgrade(room.channelId, { token: "not-a-jwt" })).status).toBe(401);
    expect((await upgrade(room.channelId, { protocols: ["moltstack.v1", "bearer.x.y.z"] })).status).toBe(401);
    const notMember = await upgrade(room.channelId, { token: outsider.token });
    expect(notMember.status).toBe(403);
    expect(await notMember.json()).toMatchObject({ error: { code: "not_member" } });
    const isBanned = await upgrade(room.channelId, { token: banned.token });
    expect(isBanned.status).toBe(403);
    expect(await isBanned.json()).toMatchObject({ error: { code: "banned" } });
    expect((await upgrade(room.channelId, { token: suspended.token })).status).toBe(401);
    expect((await upgrade(priv.channelId)).status).toBe(404);
    expect((await upgrade(priv.channelId, { token: outsider.token })).status).toBe(404);
    expect((await upgrade(crypto.randomUUID())).status).toBe(404);
    expect((await upgrade("nope")).status).toBe(404);
    const plain = await upgrade(room.channelId);
    expect(plain.status).toBe(101);
    plain.webSocket?.accept();
    plain.webSocket?.close();
    const { exports } = await import("cloudflare:workers");
    const noUpgrade = await exports.default.fetch(`http://moltstack.test/ws/channels/${room.channelId}`);
    expect(noUpgrade.status).toBe(426);
  });
});

describe("channel socket: gap-free resume", () => {
  it("after a disconnect, ?after_seq= replays exactly the missed messages, then resumed", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const a = await connect(room.channelId, { token: alice.token });
    const b = await connect(room.channelId, { token: room.owner.token });
    const first = await send(b, "before", "r0");
    await a.next("message", { id: first.id });
    a.close();
    const missed: number[] = [];
    for (let i = 1; i <= 4; i++) missed.push(Number((await send(b, `missed ${i}`, `r${i}`)).seq));
    const a2 = await connect(room.channelId, { token: alice.token, afterSeq: Number(first.seq) });
    const resumed = await a2.next("resumed");
    expect(resumed.seq).toBe(missed.at(-1));
    const replayed = a2.ops("message").map((m) => m.seq);
    expect(replayed).toEqual(missed);
    // and the resume op works on a live socket too
    const from = a2.frames.length;
    a2.send({ op: "resume", after_seq: missed[1] });
    await a2.next("resumed", {}, from);
    expect(
      a2.frames
        .slice(from)
        .filter((f) => f.op === "message")
        .map((f) => f.seq),
    ).toEqual(missed.slice(2));
    a2.close();
    b.close();
  });

  it("eviction mid-stream loses nothing acked and sockets keep working (hibernation)", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const a = await connect(room.channelId, { token: alice.token });
    const watcher = await connect(room.channelId);
    const acked: number[] = [];
    for (let i = 0; i < 5; i++) acked.push(Number((await send(a, `pre ${i}`, `p${i}`)).seq));
    // a burst in flight while the object is evicted
    for (let i = 0; i < 5; i++) a.send({ op: "message", content: `burst ${i}`, content_type: "text", nonce: `b${i}` });
    await evictDurableObject(roomStub(room.channelId));
    for (let i = 0; i < 5; i++) {
      const r = await send(a, `post ${i}`, `q${i}`);
      expect(r.op).toBe("message_ack");
    }
    const acks = a.ops("message_ack").map((f) => Number(f.seq));
    const stored = await seqsInDb(room.channelId);
    for (const s of acks) expect(stored).toContain(s);
    expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
    // the watcher (hibernated socket) saw every stored message in order after catching up
    const w = await connect(room.channelId, { afterSeq: 0 });
    await w.next("resumed");
    expect(w.ops("message").map((m) => m.seq)).toEqual(stored);
    await watcher.until((fs) => fs.some((f) => f.op === "message" && f.seq === stored.at(-1)));
    for (const c of [a, watcher, w]) c.close();
  });
});

describe("channel socket: bad input and limits", () => {
  it("malformed frames, unknown ops, oversize content and frames get error and the socket stays open", async () => {
    const room = await makeRoom();
    const a = await connect(room.channelId, { token: room.owner.token });
    await a.next("presence");
    a.send("{not json");
    await a.next("error", { code: "bad_frame" });
    a.send({ op: "subscribe", channels: [] });
    await a.next("error", { code: "unknown_op" });
    a.send({ op: "message", content: "x".repeat(PROTOCOL_LIMITS.messageChars + 1), nonce: "big" });
    await a.next("error", { code: "content_too_long", nonce: "big" });
    a.send({ op: "message", content: "😀".repeat(PROTOCOL_LIMITS.frameBytes / 4 + 10) });
    await a.next("error", { code: "frame_too_large" });
    a.send({ op: "message", content: "ok", reply_to: "not-a-uuid" });
    await a.next("error", { code: "validation_failed" });
    a.send({ op: "ping" });
    await a.next("pong");
    a.send('{"op": "ping"}');
    await a.until((fs) => fs.filter((f) => f.op === "pong").length === 2);
    expect(a.closed).toBeNull();
    expect((await send(a, "still here", "ok")).op).toBe("message_ack");
    // sustained abuse closes with 1008
    for (let i = 0; i < PROTOCOL_LIMITS.abuseErrorsPerMinute + 2; i++) a.send("garbage");
    await a.until((_) => a.closed);
    expect(a.closed?.code).toBe(CLOSE.abuse);
  });

  it("30 messages per minute per agent per channel, then rate_limited with retry_after", async () => {
    const room = await makeRoom();
    const a = await connect(room.channelId, { token: room.owner.token });
    for (let i = 0; i < 30; i++) a.send({ op: "message", content: `m${i}`, nonce: `m${i}` });
    await a.until((fs) => fs.filter((f) => f.op === "message_ack").length === 30);
    const r = await send(a, "one too many", "over");
    expect(r).toMatchObject({ op: "error", code: "rate_limited" });
    expect(Number(r.retry_after)).toBeGreaterThan(0);
    a.close();
  });

  it("the agent's own max_outbound_per_hour applies", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    await asSystem((tx) => tx.insert(agentConfig).values({ agentId: alice.id, maxOutboundPerHour: 2 }));
    const a = await connect(room.channelId, { token: alice.token });
    expect((await send(a, "1", "o1")).op).toBe("message_ack");
    expect((await send(a, "2", "o2")).op).toBe("message_ack");
    const first = a.ops("message_ack")[0];
    expect(await send(a, "3", "o3")).toMatchObject({ op: "error", code: "rate_limited" });
    // reactions count toward the same hourly budget
    const { api } = await import("../test/helpers");
    const r = await api("POST", `/api/v1/messages/${first?.id}/react`, { token: alice.token, body: { emoji: "👀" } });
    expect(r.status).toBe(429);
    a.close();
  });

  it("announcement channels take posts from owner/admins only; reply_to must be in the same channel", async () => {
    const room = await makeRoom({ type: "announcement" });
    const other = await makeRoom();
    const alice = await member(room);
    const a = await connect(room.channelId, { token: alice.token });
    const owner = await connect(room.channelId, { token: room.owner.token });
    expect(await send(a, "can I?", "x")).toMatchObject({ op: "error", code: "forbidden" });
    const ok = await send(owner, "news", "y");
    expect(ok.op).toBe("message_ack");
    const o2 = await connect(other.channelId, { token: other.owner.token });
    const foreign = await send(o2, "elsewhere", "z");
    owner.send({ op: "message", content: "re", reply_to: foreign.id, nonce: "bad" });
    await owner.next("error", { code: "validation_failed", nonce: "bad" });
    const reply = await send(owner, "re", "good");
    expect(reply.op).toBe("message_ack");
    for (const c of [a, owner, o2]) c.close();
  });
});

describe("channel socket: presence, session cap, loop breaker, moderation", () => {
  it("presence: online on connect, idle after timeout/2, offline after timeout, with an injected clock", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const watcher = await connect(room.channelId);
    const a = await connect(room.channelId, { token: alice.token });
    await watcher.until((fs) => fs.some((f) => f.op === "presence" && (f.online as string[]).includes(alice.username)));
    const stub = roomStub(room.channelId);
    const t0 = Date.now();
    await runInDurableObject(stub, async (obj: ChannelRoom) => {
      obj.core.now = () => t0 + 31_000;
      await obj.core.tick();
    });
    await watcher.until((fs) => fs.some((f) => f.op === "presence" && (f.idle as string[]).includes(alice.username)));
    await runInDurableObject(stub, async (obj: ChannelRoom) => {
      obj.core.now = () => t0 + 61_000;
      await obj.core.tick();
    });
    const n = watcher.frames.length;
    await watcher.until((fs) =>
      fs.slice(n - 1).some((f) => f.op === "presence" && !(f.online as string[]).includes(alice.username)),
    );
    // an outbound action makes it online again
    await runInDurableObject(stub, async (obj: ChannelRoom) => {
      obj.core.now = () => Date.now();
    });
    a.send({ op: "typing" });
    await watcher.until((fs) => fs.some((f) => f.op === "typing" && f.agent === alice.username));
    await watcher.until((fs) => {
      const last = fs.filter((f) => f.op === "presence").at(-1);
      return (
        last && (last.online as string[]).includes(alice.username) && !(last.idle as string[]).includes(alice.username)
      );
    });
    // the agent's hub persists presence + last_seen_at (asynchronously)
    await watcher.until(async () => {
      const rows = await queryAs<{ presence: string; last_seen_at: Date | null }>(
        SYSTEM,
        sql`select presence, last_seen_at from agents where id = ${alice.id}`,
      );
      return rows[0]?.last_seen_at && rows[0].presence === "online";
    });
    a.close();
    await watcher.until((fs) => {
      const last = fs.filter((f) => f.op === "presence").at(-1);
      return last && !(last.online as string[]).includes(alice.username);
    });
    watcher.close();
  });

  it("a continuous session is capped at 4 hours (close 4000)", async () => {
    const room = await makeRoom();
    const a = await connect(room.channelId, { token: room.owner.token });
    await a.next("presence");
    await runInDurableObject(roomStub(room.channelId), async (obj: ChannelRoom) => {
      obj.core.now = () => Date.now() + PROTOCOL_LIMITS.sessionMaxSeconds * 1000 + 1000;
      await obj.core.tick();
      obj.core.now = () => Date.now();
    });
    await a.until(() => a.closed);
    expect(a.closed?.code).toBe(CLOSE.sessionLimit);
  });

  it("two agents looping put both in slow mode with a slow_mode event", async () => {
    const room = await makeRoom({ loopThreshold: 6 });
    const alice = await member(room);
    const bob = await member(room);
    const a = await connect(room.channelId, { token: alice.token });
    const b = await connect(room.channelId, { token: bob.token });
    for (let i = 0; i < 3; i++) {
      expect((await send(a, `ping ${i}`, `a${i}`)).op).toBe("message_ack");
      expect((await send(b, `pong ${i}`, `b${i}`)).op).toBe("message_ack");
    }
    const slow = await a.next("slow_mode");
    expect([...(slow.agents as string[])].sort()).toEqual([alice.username, bob.username].sort());
    expect(Date.parse(String(slow.until))).toBeGreaterThan(Date.now());
    expect(await send(a, "again", "a9")).toMatchObject({ op: "error", code: "slow_mode" });
    a.close();
    b.close();
  });

  it("kick closes an agent's sockets with 4003 and forgets its membership", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const a = await connect(room.channelId, { token: alice.token });
    await a.next("presence");
    await ban(room.serverId, alice.id);
    expect(await roomStub(room.channelId).kick(room.channelId, alice.id, CLOSE.forbidden, "banned")).toBe(1);
    await a.until(() => a.closed);
    expect(a.closed?.code).toBe(CLOSE.forbidden);
    expect((await upgrade(room.channelId, { token: alice.token })).status).toBe(403);
  });
});
