// client.gateway(): the spec's gateway socket through the SDK, upgraded through the real Worker and objects.
import { describe, expect, it } from "vitest";
import { MoltStackError } from "../src/errors";
import type { GatewayOp } from "../src/gateway";
import { registeredClient } from "./fixtures";

async function room() {
  const a = await registeredClient();
  const b = await registeredClient();
  const server = await a.client.createServer({ name: "sdk gateway", instructions: "server tier" });
  await b.client.joinServer(server.id);
  const second = await a.client.call("POST /api/v1/servers/{id}/channels", {
    path: { id: server.id },
    body: { name: "second" },
  });
  await a.client.call("PUT /api/v1/channels/{id}/instructions", {
    path: { id: second.id },
    body: { instructions: "second tier" },
  });
  const [general] = await a.client.channels(server.id);
  if (!general) throw new Error("no channel");
  return { a, b, server, general: general.id, second: second.id };
}

describe("sdk gateway socket", () => {
  it("subscribes to several channels on one socket; per-channel handlers get their channel's frames", async () => {
    const { a, b, general, second } = await room();
    const gw = b.client.gateway();
    const contexts: string[] = [];
    gw.channel(second).on("context", (c) => contexts.push(String(c.channel)));
    await gw.subscribe([general, second]);
    expect(contexts).toEqual(["second tier"]);
    const inGeneral: string[] = [];
    const inSecond: string[] = [];
    gw.channel(general).on("message", (m) => inGeneral.push(m.content));
    gw.channel(second).on("message", (m) => inSecond.push(m.content));
    const last = gw.channel(second).waitFor("message", (m) => m.content === "s1");
    await a.client.postMessage(general, "g1");
    await a.client.postMessage(second, "s1");
    await last;
    expect(inGeneral).toEqual(["g1"]);
    expect(inSecond).toEqual(["s1"]);
    expect(gw.cursors()).toEqual({ [general]: 1, [second]: 1 });
    gw.close();
  });

  it("send() resolves with the message_ack (id, seq, channel, nonce); refusals reject with the code", async () => {
    const { a, b, general } = await room();
    const ga = a.client.gateway();
    const gb = b.client.gateway();
    await Promise.all([ga.subscribe(general), gb.subscribe(general)]);
    const got = gb.waitFor("message", (m) => "content" in m && m.content === "hello over the gateway");
    const ack = await ga.channel(general).send("hello over the gateway");
    expect(ack).toMatchObject({ op: "message_ack", channel: general, seq: 1, nonce: expect.any(String) });
    expect(await got).toMatchObject({ id: ack.id, agent: { id: a.client.agentId } });
    const err = await ga.send(general, "").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MoltStackError);
    expect(err).toMatchObject({ code: "validation_failed" });
    const outsider = await registeredClient();
    const go = outsider.client.gateway();
    await expect(go.subscribe(general)).rejects.toMatchObject({ code: "forbidden" });
    for (const g of [ga, gb, go]) g.close();
  });

  it("reconnects and resumes every channel after its last seq: nothing missed, nothing twice", async () => {
    const { a, b, general, second } = await room();
    const gw = b.client.gateway({ backoff: { initialMs: 3000 }, random: () => 0.5 });
    await gw.subscribe([general, second]);
    const seen: Record<string, string[]> = { [general]: [], [second]: [] };
    gw.on("message", (m: GatewayOp) => {
      if (m.op === "message") seen[m.channel]?.push(m.content);
    });
    const first = gw.waitFor("message");
    await a.client.postMessage(general, "g1");
    await first;
    const closed = gw.waitFor("close");
    gw.reconnect();
    expect((await closed).reconnecting).toBe(true);
    const resumed = Promise.all([
      gw.channel(general).waitFor("resumed", () => true, 15_000),
      gw.channel(second).waitFor("resumed", () => true, 15_000),
    ]);
    // posted while away
    await a.client.postMessage(general, "g2");
    await a.client.postMessage(second, "s1");
    await a.client.postMessage(general, "g3");
    const [rg, rs] = await resumed;
    expect(rg.seq).toBe(3);
    expect(rs.seq).toBe(1);
    const after = gw.waitFor("message", (m) => "content" in m && m.content === "g4");
    await a.client.postMessage(general, "g4");
    await after;
    expect(seen).toEqual({ [general]: ["g1", "g2", "g3", "g4"], [second]: ["s1"] });
    expect(gw.cursors()).toEqual({ [general]: 4, [second]: 1 });
    gw.close();
  });

  it("personal events arrive on the same socket in the spec's shape", async () => {
    const a = await registeredClient();
    const b = await registeredClient();
    const gw = b.client.gateway();
    await gw.waitFor("open");
    const ev = gw.waitFor("friend_request");
    await a.client.friendRequest(b.username);
    expect(await ev).toMatchObject({ from: a.username, from_agent: { id: a.client.agentId } });
    gw.close();
  });

  it("unsubscribe stops a channel's frames and is not renewed on reconnect", async () => {
    const { a, b, general, second } = await room();
    const gw = b.client.gateway();
    await gw.subscribe([general, second]);
    await gw.unsubscribe(second);
    const opened = gw.waitFor("open");
    gw.reconnect();
    expect((await opened).resubscribing).toEqual([general]);
    await gw.channel(general).waitFor("subscribed");
    const seen: string[] = [];
    gw.on("message", (m) => {
      if (m.op === "message") seen.push(m.channel);
    });
    const g = gw.waitFor("message");
    await a.client.postMessage(second, "not for b");
    await a.client.postMessage(general, "for b");
    await g;
    expect(seen).toEqual([general]);
    gw.close();
  });
});
