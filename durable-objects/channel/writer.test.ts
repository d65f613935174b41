// The group committer (writer.ts, issue 25) against real Postgres, inside the channel object: batches of
// posts are one statement each (app.post_messages), every post is answered once, stored once, with
// contiguous seqs in the order queued; a nonce already stored or repeated in the batch is only acked with
// the stored id/seq; a row Postgres refuses fails alone while the rest of its batch is stored. Through the
// sockets: a burst from many publisher sockets is acked once per post and stored gap-free. Correctness
// only: no timing assertions.
import { runInDurableObject } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { queryAs } from "../../test/helpers";
import { connect, type Frame, makeRoom, member, type Room, roomStub } from "../../test/support/channel-fixtures";
import type { ChannelRoom } from "../channel-room";
import type { MemberInfo } from "./access";
import type { PostInput, PostOutcome } from "./writer";

const rowsOf = (channelId: string) =>
  queryAs<{ id: string; seq: string; content: string; agent_id: string; nonce: string | null }>(
    SYSTEM,
    sql`select id, seq, content, agent_id, nonce from messages where channel_id = ${channelId} order by seq`,
  );

const input = (content: string, nonce: string | null = null, extra: Partial<PostInput> = {}): PostInput => ({
  content,
  contentType: "text",
  replyTo: null,
  nonce,
  ...extra,
});

/** Run `fn` with the room's channel object bound, its committer and the members' MemberInfo. */
function inRoom<T>(
  room: Room,
  agentIds: string[],
  fn: (obj: ChannelRoom, members: MemberInfo[]) => Promise<T>,
): Promise<T> {
  return runInDurableObject(roomStub(room.channelId), async (obj: ChannelRoom) => {
    obj.core.bind(room.channelId);
    const members = await Promise.all(agentIds.map((id) => obj.core.member(id)));
    return fn(obj, members);
  });
}

const okOf = (o: PostOutcome) => {
  if (!o.ok) throw new Error(`refused: ${o.code} ${o.message}`);
  return o.message;
};

describe("group commit: batches", () => {
  it("posts queued while a batch is in flight go together in the next one statement, seqs in queue order", async () => {
    const room = await makeRoom();
    const [a, b] = await Promise.all([member(room), member(room)]);
    const out = await inRoom(room, [a.id, b.id], async (obj, [ma, mb]) => {
      const c = obj.core.committer;
      const before = { ...c.stats };
      // the first post leaves at once (an idle channel adds no wait); the rest queue behind it
      const all = Array.from({ length: 40 }, (_, i) =>
        c.post(i % 2 ? (mb as MemberInfo) : (ma as MemberInfo), input(`m${i}`)),
      );
      const outcomes = await Promise.all(all);
      return {
        outcomes,
        batches: c.stats.batches - before.batches,
        statements: c.stats.statements - before.statements,
      };
    });
    expect(out.batches).toBe(2);
    expect(out.statements).toBe(2);
    const seqs = out.outcomes.map((o) => okOf(o).seq);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const rows = await rowsOf(room.channelId);
    expect(rows.map((r) => r.content)).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
    expect(rows.map((r) => r.id)).toEqual(out.outcomes.map((o) => okOf(o).id));
  });

  it("a nonce resent in the same batch, behind the batch in flight, and after commit is stored once", async () => {
    const room = await makeRoom();
    const [a, b] = await Promise.all([member(room), member(room)]);
    const out = await inRoom(room, [a.id, b.id], async (obj, [ma, mb]) => {
      const c = obj.core.committer;
      const A = ma as MemberInfo;
      const B = mb as MemberInfo;
      const first = c.post(A, input("first", "n-1")); // in flight alone
      const batch = [
        c.post(A, input("first again", "n-1")), // the one in flight: answered with it
        c.post(B, input("b's own n-1", "n-1")), // another author's n-1 is another message
        c.post(A, input("second", "n-2")),
        c.post(A, input("second again", "n-2")), // same batch
        c.post(A, input("no nonce")),
        c.post(A, input("empty nonce", "")),
      ];
      const r1 = await first;
      const r2 = await Promise.all(batch);
      const later = await c.post(A, input("second, much later", "n-2")); // a batch of its own
      return { r1, r2, later };
    });
    const first = okOf(out.r1);
    const [again, bOwn, second, secondAgain, plain, empty] = out.r2.map(okOf);
    expect(first).toMatchObject({ seq: 1, duplicate: false, content: "first" });
    expect(again).toMatchObject({ id: first.id, seq: 1, duplicate: true, content: "first" });
    expect(bOwn).toMatchObject({ seq: 2, duplicate: false });
    expect(second).toMatchObject({ seq: 3, duplicate: false, content: "second" });
    expect(secondAgain).toMatchObject({ id: second?.id, seq: 3, duplicate: true });
    expect(plain).toMatchObject({ seq: 4, duplicate: false });
    expect(empty).toMatchObject({ seq: 5, duplicate: false, nonce: "" });
    expect(okOf(out.later)).toMatchObject({ id: second?.id, seq: 3, duplicate: true, content: "second" });
    const rows = await rowsOf(room.channelId);
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5]);
    expect(rows.map((r) => r.content)).toEqual(["first", "b's own n-1", "second", "no nonce", "empty nonce"]);
  });

  it("reply_to is checked and mentions resolved inside the batch's one statement; a bad reply_to fails alone", async () => {
    const room = await makeRoom();
    const [a, b] = await Promise.all([member(room), member(room)]);
    const out = await inRoom(room, [a.id, b.id], async (obj, [ma, mb]) => {
      const c = obj.core.committer;
      const A = ma as MemberInfo;
      const B = mb as MemberInfo;
      const root = okOf(await c.post(B, input("root")));
      const before = c.stats.statements;
      const [reply, bad, mention] = await Promise.all([
        c.post(A, input("a reply", null, { replyTo: root.id })),
        c.post(A, input("a reply elsewhere", null, { replyTo: crypto.randomUUID() })),
        c.post(A, input(`hi @${B.username} and @nobody_here_${Date.now() % 1000}`)),
      ]);
      return { root, reply, bad, mention, statements: c.stats.statements - before, b: B };
    });
    expect(out.statements).toBeLessThanOrEqual(2);
    expect(okOf(out.reply)).toMatchObject({ replyTo: out.root.id, replyToAuthor: b.id });
    expect(out.bad).toMatchObject({ ok: false, code: "validation_failed" });
    expect(okOf(out.mention).mentions).toEqual([b.id]);
    const rows = await rowsOf(room.channelId);
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
  });
});

describe("group commit: a batch Postgres refuses", () => {
  it("one row that cannot be stored fails alone with the database's reason; the rest are stored, gap-free", async () => {
    const room = await makeRoom();
    const a = await member(room);
    const out = await inRoom(room, [a.id], async (obj, [ma]) => {
      const c = obj.core.committer;
      const A = ma as MemberInfo;
      // an author that no longer exists (a foreign key) and a NUL the socket gate would have refused: the
      // committer must not let either take the rest of its batch down with it
      const ghost: MemberInfo = { ...A, agentId: crypto.randomUUID(), username: "ghost" };
      const warm = await c.post(A, input("warm"));
      const before = { ...c.stats };
      const outcomes = await Promise.all([
        c.post(A, input("one", "k1")),
        c.post(ghost, input("from nobody")),
        c.post(A, input("two", "k2")),
        c.post(A, input("nul \u0000 inside")),
        c.post(A, input("three", "k3")),
        c.post(A, input("one again", "k1")),
      ]);
      return { warm, outcomes, statements: c.stats.statements - before.statements };
    });
    const [one, ghost, two, nul, three, oneAgain] = out.outcomes;
    expect(ghost).toMatchObject({ ok: false, code: "validation_failed" });
    expect(nul).toMatchObject({ ok: false, code: "validation_failed" });
    expect((nul as { message: string }).message).toMatch(/NUL/);
    expect([one, two, three].map((o) => okOf(o as PostOutcome).seq)).toEqual([2, 3, 4]);
    expect(okOf(oneAgain as PostOutcome)).toMatchObject({ seq: 2, duplicate: true });
    expect(out.statements).toBeGreaterThan(1); // retried in parts, each part one statement
    const rows = await rowsOf(room.channelId);
    expect(rows.map((r) => r.content)).toEqual(["warm", "one", "two", "three"]);
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4]);
  });
});

describe("group commit: through the sockets", () => {
  it("a burst from 12 publisher sockets: every post acked once with its stored id/seq, seqs 1..n, per-sender order kept", async () => {
    const room = await makeRoom();
    const agents = await Promise.all(Array.from({ length: 12 }, () => member(room)));
    const watcher = await connect(room.channelId, { token: room.owner.token });
    const socks = await Promise.all(agents.map((a) => connect(room.channelId, { token: a.token, receive: "none" })));
    const perSender = 8;
    for (let k = 0; k < perSender; k++) {
      for (const [i, s] of socks.entries()) s.send({ op: "message", content: `s${i} #${k}`, nonce: `s${i}-${k}` });
    }
    // one resend of an early nonce per socket, while the burst is being committed
    for (const [i, s] of socks.entries()) s.send({ op: "message", content: "resend", nonce: `s${i}-0` });
    const total = agents.length * perSender;
    const acksOf = async (s: (typeof socks)[number]) => {
      await s.until(
        (fs) => fs.filter((f) => f.op === "message_ack" || f.op === "error").length === perSender + 1,
        15_000,
      );
      return s.frames.filter((f) => f.op === "message_ack" || f.op === "error");
    };
    const all = await Promise.all(socks.map(acksOf));
    const rows = await rowsOf(room.channelId);
    expect(rows).toHaveLength(total);
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [i, frames] of all.entries()) {
      expect(frames.every((f) => f.op === "message_ack")).toBe(true);
      const byNonce = new Map<string, Frame[]>();
      for (const f of frames) byNonce.set(String(f.nonce), [...(byNonce.get(String(f.nonce)) ?? []), f]);
      // each nonce acked once, the resend with the first one's id/seq
      expect(byNonce.size).toBe(perSender);
      const [orig, resend] = byNonce.get(`s${i}-0`) ?? [];
      expect(resend).toMatchObject({ id: orig?.id, seq: orig?.seq });
      const seqs: number[] = [];
      for (let k = 0; k < perSender; k++) {
        const ack = byNonce.get(`s${i}-${k}`)?.[0] as Frame;
        expect(byId.get(String(ack.id))).toMatchObject({ seq: String(ack.seq), content: `s${i} #${k}` });
        seqs.push(Number(ack.seq));
      }
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y)); // a sender's posts keep its order
    }
    // the watcher got every stored message once, in seq order
    await watcher.until((fs) => fs.filter((f) => f.op === "message").length >= total, 15_000);
    expect(watcher.ops("message").map((f) => f.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (const c of [watcher, ...socks]) c.close();
  });
});
