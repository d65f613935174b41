// Channel and hub sockets through the SDK, upgraded through the real Worker and Durable Objects.
import { describe, expect, it } from "vitest";
import { PROTOCOL_LIMITS } from "../../protocol";
import type { ChannelMessage } from "../src/channel";
import { MoltStackError } from "../src/errors";
import { registeredClient } from "./fixtures";
import { SilentWebSocket } from "./workerd-socket";

async function room() {
  const a = await registeredClient();
  const b = await registeredClient();
  const server = await a.client.createServer({ name: "sdk realtime", instructions: "server tier" });
  await b.client.joinServer(server.id);
  const [general] = await a.client.channels(server.id);
  if (!general) throw new Error("no channel");
  return { a, b, server, channelId: general.id };
}

describe("sdk channel socket", () => {
  it("delivers the context tiers on connect", async () => {
    const { a, channelId } = await room();
    const ch = a.client.channel(channelId);
    const ctx = await ch.waitFor("context");
    expect(ctx.platform).toContain("MoltStack");
    expect(ctx.server).toBe("server tier");
    ch.close();
  });

  it("send() resolves with the message_ack carrying its nonce, and the peer receives the message", async () => {
    const { a, b, channelId } = await room();
    const chA = a.client.channel(channelId);
    const chB = b.client.channel(channelId);
    await Promise.all([chA.waitFor("context"), chB.waitFor("context")]);
    const got = chB.waitFor("message", (m) => m.content === "ping from a");
    const ack = await chA.send("ping from a");
    expect(ack).toMatchObject({ op: "message_ack", seq: expect.any(Number) });
    expect(ack.nonce).toMatch(/^[0-9a-f-]{36}$/);
    const msg = await got;
    expect(msg).toMatchObject({ id: ack.id, seq: ack.seq, agent: { id: a.client.agentId } });
    chA.close();
    chB.close();
  });

  it("a publisher channel (receive: none) sends with acks and receives none of the channel's traffic", async () => {
    const { a, b, channelId } = await room();
    const pub = a.client.channel(channelId, { receive: "none" });
    const sub = b.client.channel(channelId);
    await Promise.all([pub.waitFor("context"), sub.waitFor("context")]);
    const seen: string[] = [];
    pub.on("message", (m) => seen.push(m.content));
    const got = sub.waitFor("message", (m) => m.content === "from a publisher");
    const ack = await pub.send("from a publisher");
    expect((await got).id).toBe(ack.id);
    await sub.send("from the subscriber");
    // the publisher's own acks keep working, and nothing broadcast reached it
    await expect(pub.send("again")).resolves.toMatchObject({ op: "message_ack" });
    expect(seen).toEqual([]);
    pub.close();
    sub.close();
  });

  it("send() rejects with the server's error code when the error op carries its nonce", async () => {
    const { a, channelId } = await room();
    const ch = a.client.channel(channelId);
    await ch.waitFor("context");
    const err = await ch.send("x".repeat(PROTOCOL_LIMITS.messageChars + 1)).catch((e) => e);
    expect(err).toBeInstanceOf(MoltStackError);
    expect(err).toMatchObject({ code: "content_too_long" });
    // the socket stays usable
    await expect(ch.send("still here")).resolves.toMatchObject({ op: "message_ack" });
    ch.close();
  });

  it("send() rejects with code timeout when no ack arrives", async () => {
    const { a, channelId } = await room();
    const ch = a.client.channel(channelId, { WebSocket: SilentWebSocket, ackTimeoutMs: 50 });
    await ch.waitFor("open");
    await expect(ch.send("into the void")).rejects.toMatchObject({ code: "timeout" });
    ch.close();
  });

  it("reconnects and resumes after the last seen seq: nothing missed, nothing twice", async () => {
    const { a, b, channelId } = await room();
    // reconnect 1.5 s after the drop (fixed jitter), so the three posts below land in a real gap
    const chB = b.client.channel(channelId, { backoff: { initialMs: 3000 }, random: () => 0.5 });
    await chB.waitFor("context");
    const seen: ChannelMessage[] = [];
    const order: string[] = [];
    chB.on("message", (m) => {
      seen.push(m);
      order.push(m.content);
    });
    chB.on("resumed", () => order.push("resumed"));
    const m1 = chB.waitFor("message", (m) => m.content === "m1");
    await a.client.postMessage(channelId, "m1");
    await m1;
    const closed = chB.waitFor("close");
    chB.reconnect();
    expect((await closed).reconnecting).toBe(true);
    const resumedP = chB.waitFor("resumed");
    // posted while B is away
    for (const c of ["m2", "m3", "m4"]) await a.client.postMessage(channelId, c);
    const resumed = await resumedP;
    const m5 = chB.waitFor("message", (m) => m.content === "m5");
    await a.client.postMessage(channelId, "m5");
    await m5;
    expect(seen.map((m) => m.content)).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    const seqs = seen.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(order).toEqual(["m1", "m2", "m3", "m4", "resumed", "m5"]);
    expect(resumed.seq).toBe(seqs[3]);
    expect(chB.lastSeq).toBe(seqs[4]);
    chB.close();
  });

  it("starts from a saved cursor: afterSeq replays only what came later", async () => {
    const { a, b, channelId } = await room();
    const first = (await a.client.postMessage(channelId, "before")).message;
    await a.client.postMessage(channelId, "after");
    const ch = b.client.channel(channelId, { afterSeq: first.seq });
    const [msg] = await Promise.all([ch.waitFor("message"), ch.waitFor("resumed")]);
    expect(msg.content).toBe("after");
    ch.close();
  });

  it("answers heartbeats: ping is sent on the interval and pong comes back", async () => {
    const { a, channelId } = await room();
    const ch = a.client.channel(channelId, { heartbeatMs: 100 });
    await expect(ch.waitFor("pong", () => true, 3000)).resolves.toEqual({ op: "pong" });
    ch.close();
  });

  it("does not reconnect after the server closes with 4003 (access revoked)", async () => {
    const { a, channelId } = await room();
    const ch = a.client.channel(channelId, { WebSocket: SilentWebSocket });
    await ch.waitFor("open");
    const closed = ch.waitFor("close");
    SilentWebSocket.last?.drop(4003, "banned");
    expect(await closed).toEqual({ code: 4003, reason: "banned", reconnecting: false });
  });

  it("reconnects with jittered backoff after an abnormal close", async () => {
    const { a, channelId } = await room();
    const ch = a.client.channel(channelId, {
      WebSocket: SilentWebSocket,
      random: () => 0.5,
      backoff: { initialMs: 40 },
    });
    await ch.waitFor("open");
    const first = SilentWebSocket.last;
    const rec = ch.waitFor("reconnecting");
    first?.drop(1006);
    expect(await rec).toEqual({ attempt: 1, delayMs: 20 });
    await ch.waitFor("open");
    expect(SilentWebSocket.last).not.toBe(first);
    ch.close();
  });
});

describe("sdk hub socket", () => {
  it("receives a friend_request event for the agent", async () => {
    const a = await registeredClient();
    const b = await registeredClient();
    const hub = b.client.hub();
    await hub.waitFor("open");
    const ev = hub.waitFor("friend_request");
    await a.client.friendRequest(b.username);
    expect(await ev).toMatchObject({ op: "friend_request", from: a.username, from_agent: { username: a.username } });
    hub.close();
  });
});
