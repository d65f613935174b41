// The fan-out relay tier (issue 25, docs/SCALE.md): past the threshold, viewers are held by relay objects
// fed by the channel object in ordered batches; nothing is lost, reordered or duplicated, resume by seq
// works through a relay, a dropped batch is filled from the channel, and closing the channel closes them.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLOSE } from "../../protocol";
import { testEnv } from "../../test/helpers";
import {
  type Client,
  connect,
  createObserver,
  type Frame,
  makeRoom,
  member,
  type Room,
  roomStub,
} from "../../test/support/channel-fixtures";
import type { ChannelRoom } from "../channel-room";
import { relayIndex, relayName } from "./router";

const RELAYS = 4;

/** Route every viewer of `room` to RELAYS relays (the production threshold is 2,000 sockets). */
async function relayAll(room: Room): Promise<void> {
  await runInDurableObject(roomStub(room.channelId), async (obj: ChannelRoom) => {
    obj.core.relays.threshold = 0;
    obj.core.relays.count = RELAYS;
  });
}

const seqsOf = (c: Client) => c.frames.filter((f) => f.op === "message").map((f) => Number(f.seq));

/** Post `n` messages from `senders` agents at once (several voices: the loop breaker sees a conversation). */
async function post(room: Room, senders: { id: string }[], n: number, tag: string): Promise<number[]> {
  const stub = roomStub(room.channelId);
  const rs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      stub.postMessage(room.channelId, (senders[i % senders.length] as { id: string }).id, {
        content: `${tag} ${i}`,
        content_type: "text",
      }),
    ),
  );
  return rs.map((r) => {
    const x = r as unknown as { ok: boolean; code?: string; message: { seq: number } };
    if (!x.ok) throw new Error(`post refused: ${x.code}`);
    return Number(x.message.seq);
  });
}

async function watchers(room: Room, observers: number, each: number, ip: string): Promise<Client[]> {
  const obs = await Promise.all(Array.from({ length: observers }, () => createObserver()));
  const out: Client[] = [];
  for (const o of obs)
    out.push(
      ...(await Promise.all(Array.from({ length: each }, () => connect(room.channelId, { token: o.token, ip })))),
    );
  return out;
}

describe("relay tier", () => {
  it("200 observer sockets through 4 relays get every message once, in order; the channel holds none", async () => {
    const room = await makeRoom();
    await relayAll(room);
    const senders = await Promise.all(Array.from({ length: 5 }, () => member(room)));
    const clients = await watchers(room, 25, 8, "10.25.0.1");
    expect(clients).toHaveLength(200);
    // the same context as a channel socket's (agents are never relayed), then the presence list
    const direct = await connect(room.channelId, { token: (senders[0] as { token: string }).token });
    const context = await direct.next("context");
    direct.close();
    for (const c of clients) expect(await c.next("context")).toEqual(context);
    for (const c of clients.slice(0, 5)) {
      await c.next("presence");
      expect(c.frames.map((f) => f.op).slice(0, 2)).toEqual(["context", "presence"]);
    }
    const active = await runInDurableObject(roomStub(room.channelId), async (obj: ChannelRoom, state) => ({
      relays: obj.core.relays.active,
      viewersHere: state.getWebSockets("kind:observer").length,
    }));
    expect(active.viewersHere).toBe(0);
    expect(active.relays.length).toBeGreaterThanOrEqual(2);
    expect(active.relays.every((k) => k >= 0 && k < RELAYS)).toBe(true);

    const acked = (await post(room, senders, 40, "fan")).sort((a, b) => a - b);
    for (const c of clients) await c.until((fs) => fs.filter((f) => f.op === "message").length >= 40, 15_000);
    for (const c of clients) expect(seqsOf(c)).toEqual(acked);
    // each relay holds its share of the sockets
    const held = await Promise.all(
      active.relays.map((k) =>
        testEnv.CHANNEL_RELAY.get(testEnv.CHANNEL_RELAY.idFromName(relayName(room.channelId, k))).frames(
          room.channelId,
          [],
        ),
      ),
    );
    expect(held.reduce((a, b) => a + b, 0)).toBe(200);
    for (const c of clients) c.close();
  }, 60_000);

  it("resume by seq through a relay: after_seq on connect and the resume op replay exactly what was missed", async () => {
    const room = await makeRoom();
    await relayAll(room);
    const senders = await Promise.all(Array.from({ length: 4 }, () => member(room)));
    const acked = (await post(room, senders, 12, "r")).sort((a, b) => a - b);
    const o = await createObserver();
    const cursor = acked[4] as number;
    const late = await connect(room.channelId, { token: o.token, afterSeq: cursor, ip: "10.25.0.2" });
    const resumed = await late.next("resumed");
    expect(resumed.seq).toBe(acked.at(-1));
    expect(seqsOf(late)).toEqual(acked.slice(5));
    // live after the replay, then a resume op on the same socket
    const more = (await post(room, senders, 4, "r2")).sort((a, b) => a - b);
    await late.until((fs) => fs.filter((f) => f.op === "message").length >= 7 + 4);
    const n = late.frames.length;
    late.send({ op: "resume", after_seq: acked[9] });
    await late.next("resumed", {}, n);
    const replayed = late.frames
      .slice(n)
      .filter((f: Frame) => f.op === "message")
      .map((f) => Number(f.seq));
    expect(replayed).toEqual([...acked.slice(10), ...more]);
    // read-only on a relay as on the channel
    late.send({ op: "message", content: "hi", nonce: "ro" });
    await late.next("error", { code: "read_only", nonce: "ro" });
    late.close();
  }, 30_000);

  it("a dropped batch is fetched from the channel before anything newer: no gap, no reorder", async () => {
    const room = await makeRoom();
    await relayAll(room);
    const senders = await Promise.all(Array.from({ length: 4 }, () => member(room)));
    const o = await createObserver();
    const w = await connect(room.channelId, { token: o.token, ip: "10.25.0.3" });
    const first = await post(room, senders, 2, "a");
    await w.until((fs) => fs.filter((f) => f.op === "message").length >= 2);
    // the channel forgets to feed its relays for two messages (as after three failed calls)
    await runInDurableObject(roomStub(room.channelId), async (obj: ChannelRoom) => {
      const r = obj.core.relays as unknown as { fanout: (d: string, s: number | null) => void; orig?: unknown };
      r.orig = r.fanout;
      r.fanout = () => {};
    });
    const dropped: number[] = [];
    for (let i = 0; i < 2; i++) dropped.push(...(await post(room, senders.slice(i, i + 1), 1, "dropped")));
    await runInDurableObject(roomStub(room.channelId), async (obj: ChannelRoom) => {
      const r = obj.core.relays as unknown as { fanout: unknown; orig: unknown };
      r.fanout = r.orig;
    });
    const last = await post(room, senders.slice(3), 1, "z");
    await w.until((fs) => fs.filter((f) => f.op === "message").length >= 5);
    expect(seqsOf(w)).toEqual([...first.sort((a, b) => a - b), ...dropped, ...last]);
    w.close();
  }, 30_000);

  it("survives eviction of the relay (resume still works) and of the channel (its relays stay fed)", async () => {
    const room = await makeRoom();
    await relayAll(room);
    const senders = await Promise.all(Array.from({ length: 4 }, () => member(room)));
    const o = await createObserver();
    const w = await connect(room.channelId, { token: o.token, ip: "10.25.0.5" });
    const k = await runInDurableObject(roomStub(room.channelId), async (obj: ChannelRoom) => obj.core.relays.active);
    expect(k).toHaveLength(1);
    const relay = testEnv.CHANNEL_RELAY.get(
      testEnv.CHANNEL_RELAY.idFromName(relayName(room.channelId, k[0] as number)),
    );
    const a = (await post(room, senders, 2, "a")).sort((x, y) => x - y);
    await w.until((fs) => fs.filter((f) => f.op === "message").length >= 2);
    await evictDurableObject(relay);
    const b = (await post(room, senders.slice(2), 2, "b")).sort((x, y) => x - y);
    await w.until((fs) => fs.filter((f) => f.op === "message").length >= 4);
    expect(seqsOf(w)).toEqual([...a, ...b]);
    const n = w.frames.length;
    w.send({ op: "resume", after_seq: a[0] });
    await w.next("resumed", {}, n);
    expect(
      w.frames
        .slice(n)
        .filter((f: Frame) => f.op === "message")
        .map((f) => Number(f.seq)),
    ).toEqual([...a.slice(1), ...b]);
    // the channel object forgets its settings on eviction, not its active relays (SQLite)
    await evictDurableObject(roomStub(room.channelId));
    const c = await post(room, senders.slice(1, 2), 1, "c");
    await w.until((fs) => fs.filter((f) => f.op === "message" && Number(f.seq) === c[0]).length === 1);
    w.close();
  }, 30_000);

  it("long instructions reach relay sockets intact (frames travel by RPC, not in headers)", async () => {
    const instructions = "✓ ünïcode ".repeat(400);
    const room = await makeRoom({ instructions });
    await relayAll(room);
    const o = await createObserver();
    const w = await connect(room.channelId, { token: o.token, ip: "10.25.0.6" });
    expect(await w.next("context")).toMatchObject({ op: "context", channel: instructions });
    w.close();
  });

  it("closing the channel (deleted, made private) closes the sockets its relays hold", async () => {
    const room = await makeRoom();
    await relayAll(room);
    const o = await createObserver();
    const w = await connect(room.channelId, { token: o.token, ip: "10.25.0.4" });
    const n = await roomStub(room.channelId).shutdown(room.channelId, CLOSE.gone, "channel deleted");
    expect(n).toBeGreaterThanOrEqual(1);
    await w.until(() => w.closed);
    expect(w.closed?.code).toBe(CLOSE.gone);
  });

  it("a relay sends one RPC's frames as one batch frame to sockets that asked (?frames=batch), N frames to others", async () => {
    const room = await makeRoom();
    await runInDurableObject(roomStub(room.channelId), async (obj: ChannelRoom) => {
      obj.core.relays.threshold = 0;
      obj.core.relays.count = 1; // both sockets on relay 0
    });
    const o = await createObserver();
    const plain = await connect(room.channelId, { token: o.token, ip: "10.25.0.7" });
    const batched = await connect(room.channelId, { token: o.token, ip: "10.25.0.7", frames: "batch" });
    for (const c of [plain, batched]) await c.next("presence");
    const relay = testEnv.CHANNEL_RELAY.get(testEnv.CHANNEL_RELAY.idFromName(relayName(room.channelId, 0)));
    const typing = (agent: string) => ({ d: JSON.stringify({ op: "typing", channel: room.channelId, agent }) });
    expect(await relay.frames(room.channelId, [typing("x"), typing("y"), typing("z")])).toBe(2);
    const typed = (fs: Frame[]) => fs.filter((f) => f.op === "typing").map((f) => f.agent);
    await plain.until((fs) => typed(fs).length === 3);
    expect(typed(plain.frames)).toEqual(["x", "y", "z"]);
    const batch = await batched.next("batch");
    expect(typed(batch.frames as Frame[])).toEqual(["x", "y", "z"]);
    expect(typed(batched.frames)).toEqual([]);
    // and messages posted in a burst arrive whole and in order on both
    const senders = await Promise.all(Array.from({ length: 4 }, () => member(room)));
    const acked = (await post(room, senders, 12, "burst")).sort((a, b) => a - b);
    const unpack = (fs: Frame[]) => fs.flatMap((f) => (f.op === "batch" ? (f.frames as Frame[]) : [f]));
    const seqs = (fs: Frame[]) => fs.filter((f) => f.op === "message").map((f) => Number(f.seq));
    for (const c of [plain, batched]) await c.until((fs) => seqs(unpack(fs)).length === 12, 15_000);
    expect(seqs(plain.frames)).toEqual(acked);
    expect(seqs(unpack(batched.frames))).toEqual(acked);
    for (const c of [plain, batched]) c.close();
  });

  it("routes a client to the same relay every time (its socket cap holds there)", () => {
    for (const key of ["observer:a", "net:10.0.0.0", "observer:b"]) {
      const k = relayIndex(key, 64);
      expect(relayIndex(key, 64)).toBe(k);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(k).toBeLessThan(64);
    }
  });
});
