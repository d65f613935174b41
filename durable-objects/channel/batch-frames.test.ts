// Issue 25: the broadcast send loop (receivers.ts) and batch frames. Frames ready together (a committed
// batch of messages) reach a socket that asked with `?frames=batch` as ONE `batch` frame and every other
// socket as one frame per op, in the same order; replay and resume are unchanged; the cached receiver list
// follows sockets that come and go; the unread budget still closes a silent socket (4008).
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CLOSE, PROTOCOL_LIMITS, type ServerOp } from "../../protocol";
import {
  type Client,
  connect,
  type Frame,
  makeRoom,
  member,
  roomStub,
  upgrade,
} from "../../test/support/channel-fixtures";
import type { ChannelRoom } from "../channel-room";
import { batchFrames } from "./receivers";

/** Every op a client saw, batches unpacked, in order. */
const unpack = (fs: Frame[]): Frame[] => fs.flatMap((f) => (f.op === "batch" ? (f.frames as Frame[]) : [f]));
const unpacked = (c: Client): Frame[] => unpack(c.frames);
const seqs = (fs: Frame[]) => fs.filter((f) => f.op === "message").map((f) => Number(f.seq));

describe("batch frames (issue 25)", () => {
  it("a committed batch reaches a negotiating socket as one frame and a plain socket as N frames, in order", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const a = await connect(room.channelId, { token: alice.token });
    const plain = await connect(room.channelId);
    const batched = await connect(room.channelId, { frames: "batch" });
    for (const c of [a, plain, batched]) await c.next("presence");
    // back to back: the first commits alone, the rest queue behind it and commit as one batch
    const n = 8;
    for (let i = 0; i < n; i++) a.send({ op: "message", content: `burst ${i}`, nonce: `b${i}` });
    await a.until((fs) => fs.filter((f) => f.op === "message_ack").length === n);
    const acked = a
      .ops("message_ack")
      .map((f) => Number(f.seq))
      .sort((x, y) => x - y);
    await plain.until((fs) => seqs(fs).length === n);
    await batched.until((fs) => seqs(unpack(fs)).length === n);
    expect(seqs(plain.frames)).toEqual(acked);
    expect(plain.ops("batch")).toEqual([]);
    expect(seqs(unpacked(batched))).toEqual(acked);
    const batches = batched.ops("batch");
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) expect((b.frames as Frame[]).length).toBeGreaterThan(1);
    expect(batched.frames.length).toBeLessThan(plain.frames.length);
    // the sender's own acks still come before its copy of each message
    await a.until((fs) => seqs(fs).length === n);
    for (const ack of a.ops("message_ack")) {
      const copy = a.frames.findIndex((f) => f.op === "message" && f.id === ack.id);
      expect(copy).toBeGreaterThan(a.frames.indexOf(ack));
    }
    for (const c of [a, plain, batched]) c.close();
  });

  it("whatever one turn broadcasts goes out as one run, ops of every kind, in order", async () => {
    const room = await makeRoom();
    const plain = await connect(room.channelId);
    const batched = await connect(room.channelId, { frames: "batch" });
    const other = await connect(room.channelId, { frames: "message" });
    for (const c of [plain, batched, other]) await c.next("presence");
    await runInDurableObject(roomStub(room.channelId), async (obj: ChannelRoom) => {
      obj.core.together(() => {
        for (const agent of ["x", "y", "z"]) obj.core.broadcast({ op: "typing", channel: room.channelId, agent });
      });
      // a run of one is a plain frame, for everyone
      obj.core.together(() => obj.core.broadcast({ op: "typing", channel: room.channelId, agent: "solo" }));
    });
    const want = ["x", "y", "z", "solo"];
    for (const c of [plain, batched, other])
      await c.until((fs) => unpack(fs).filter((f) => f.op === "typing").length === 4);
    const typed = (fs: Frame[]) => fs.filter((f) => f.op === "typing").map((f) => f.agent);
    expect(typed(plain.frames)).toEqual(want);
    // an unknown frames= value is the plain wire
    expect(typed(other.frames)).toEqual(want);
    expect(batched.ops("batch")).toHaveLength(1);
    expect(typed(unpacked(batched))).toEqual(want);
    expect(batched.frames.at(-1)).toMatchObject({ op: "typing", agent: "solo" });
    for (const c of [plain, batched, other]) c.close();
  });

  it("an unknown frames value is refused with a clear 400 before any socket is accepted", async () => {
    const room = await makeRoom();
    const res = await upgrade(room.channelId, { frames: "something-newer" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: "validation_failed", message: expect.stringMatching(/frames must be/) },
    });
  });

  it("resume on a batch socket replays exactly what was missed, then live batches continue after it", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const a = await connect(room.channelId, { token: alice.token });
    await a.next("presence");
    const first: number[] = [];
    for (let i = 0; i < 3; i++) {
      a.send({ op: "message", content: `before ${i}`, nonce: `p${i}` });
      first.push(Number((await a.next("message_ack", { nonce: `p${i}` })).seq));
    }
    const late = await connect(room.channelId, { frames: "batch", afterSeq: first[0] as number });
    const resumed = await late.next("resumed");
    expect(resumed.seq).toBe(first[2]);
    for (let i = 0; i < 6; i++) a.send({ op: "message", content: `after ${i}`, nonce: `q${i}` });
    await a.until((fs) => fs.filter((f) => f.op === "message_ack").length === 9);
    const all = a
      .ops("message_ack")
      .map((f) => Number(f.seq))
      .sort((x, y) => x - y);
    await late.until((fs) => seqs(unpack(fs)).length === 8);
    // nothing before the cursor, nothing twice, nothing out of order
    expect(seqs(unpacked(late))).toEqual(all.slice(1));
    a.close();
    late.close();
  });

  it("the cached receiver list follows sockets that connect and leave between broadcasts", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const a = await connect(room.channelId, { token: alice.token });
    const early = await connect(room.channelId);
    const say = async (content: string, nonce: string) => {
      a.send({ op: "message", content, nonce });
      return a.next("message_ack", { nonce });
    };
    const m1 = await say("one", "c1"); // the list is built here
    await early.next("message", { id: m1.id });
    const joined = await connect(room.channelId, { frames: "batch" });
    await joined.next("presence");
    const m2 = await say("two", "c2");
    await joined.next("message", { id: m2.id });
    early.close();
    await early.until((fs) => fs.length && early.closed);
    const m3 = await say("three", "c3");
    await joined.next("message", { id: m3.id });
    await a.next("message", { id: m3.id });
    expect(seqs(early.frames)).not.toContain(Number(m3.seq));
    a.close();
    joined.close();
  });

  it("the send loop closes a socket past its unread budget with 4008; the others keep receiving", async () => {
    const room = await makeRoom();
    const silent = await connect(room.channelId);
    const lively = await connect(room.channelId, { frames: "batch" });
    for (const c of [silent, lively]) await c.next("presence");
    const big = (agent: string) =>
      JSON.stringify({ op: "typing", channel: room.channelId, agent: agent.padEnd(512 * 1024, ".") } as ServerOp);
    const stub = roomStub(room.channelId);
    await runInDurableObject(stub, async (obj: ChannelRoom) => {
      for (let i = 0; i < 6; i++) obj.core.broadcastRaw(big(`a${i}`)); // 3 MiB: under the 4 MiB budget
    });
    await lively.until((fs) => fs.filter((f) => f.op === "typing").length === 6, 15_000);
    // a sign of life: lively's count starts again, silent's does not
    lively.send({ op: "typing" });
    await lively.next("error", { code: "read_only" });
    await runInDurableObject(stub, async (obj: ChannelRoom) => {
      obj.core.together(() => {
        for (let i = 0; i < 4; i++) obj.core.broadcastRaw(big(`b${i}`)); // 2 MiB more: silent is past it
      });
      obj.core.broadcast({ op: "typing", channel: room.channelId, agent: "small" });
    });
    await silent.until((fs) => fs.length && silent.closed, 15_000);
    expect(silent.closed?.code).toBe(CLOSE.slowReader);
    await lively.until((fs) => fs.some((f) => f.op === "typing" && f.agent === "small"), 15_000);
    expect(lively.closed).toBeNull();
    lively.close();
  }, 60_000);

  it("batchFrames splits a long run at the size limit, keeping order and never splitting a frame", () => {
    const d = (i: number, n: number) => JSON.stringify({ op: "typing", channel: "c", agent: `${i}`.padEnd(n, "x") });
    const datas = [d(1, 40), d(2, 40), d(3, 200), d(4, 10)];
    const out = batchFrames(datas, 200); // [1, 2] [3 (longer than the limit: alone)] [4]
    const back = out.flatMap((b) => (JSON.parse(b) as { op: string; frames: { agent: string }[] }).frames);
    expect(back.map((f) => f.agent[0])).toEqual(["1", "2", "3", "4"]);
    expect(out).toHaveLength(3);
    for (const b of out) expect(JSON.parse(b)).toMatchObject({ op: "batch" });
    expect(batchFrames([d(1, 10)], PROTOCOL_LIMITS.batchFrameBytes)).toHaveLength(1);
  });
});
