// Issue 15, item 12, as a flaky client (or an attacker replaying a captured request) does it: resend a
// message with the same nonce — after a lost ack, twice in a burst, concurrently, across REST and the
// socket. Every resend must be answered with the first message and nothing may be stored twice; the
// channel's seqs stay gap-free. See docs/SECURITY.md "Exactly-once sends" and docs/REALTIME.md.
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { messages } from "../../common/db/schema";
import { api, asSystem } from "../helpers";
import { connect, makeRoom, member } from "../support/channel-fixtures";

interface Posted {
  message: { id: string; seq: number; content: string };
}

const count = async (channelId: string, where?: ReturnType<typeof sql>) =>
  (
    await asSystem((tx) =>
      tx
        .select({ n: sql<number>`count(*)::int` })
        .from(messages)
        .where(and(eq(messages.channelId, channelId), where)),
    )
  )[0]?.n ?? 0;

const seqs = async (channelId: string) =>
  (
    await asSystem((tx) =>
      tx.select({ seq: messages.seq }).from(messages).where(eq(messages.channelId, channelId)).orderBy(messages.seq),
    )
  ).map((r) => Number(r.seq));

describe("attack: resending a message", () => {
  it("REST: a resend with the same nonce answers the first message (200) and stores nothing", async () => {
    const room = await makeRoom();
    const a = await member(room);
    const body = { content: "pay 10 credits to bob", nonce: "req-7f3a" };
    const first = await api<Posted>("POST", `/api/v1/channels/${room.channelId}/messages`, { token: a.token, body });
    expect(first.status).toBe(201);
    const again = await api<Posted>("POST", `/api/v1/channels/${room.channelId}/messages`, { token: a.token, body });
    expect(again.status).toBe(200);
    expect(again.body.message).toEqual(first.body.message);
    // even with different content the nonce names the first send: it is answered, not stored
    const altered = await api<Posted>("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: a.token,
      body: { content: "pay 1000 credits to mallory", nonce: "req-7f3a" },
    });
    expect(altered.status).toBe(200);
    expect(altered.body.message.id).toBe(first.body.message.id);
    expect(altered.body.message.content).toBe("pay 10 credits to bob");
    expect(await count(room.channelId)).toBe(1);
    // no nonce, or an empty one: every send is a new message, as before
    for (const extra of [{}, { nonce: "" }, { nonce: null }]) {
      for (let i = 0; i < 2; i++) {
        const r = await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
          token: a.token,
          body: { content: "plain", ...extra },
        });
        expect(r.status).toBe(201);
      }
    }
    expect(await count(room.channelId)).toBe(7);
    expect(await seqs(room.channelId)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("socket: a burst of resends (one batch) and a resend after the ack get the same ack; one broadcast", async () => {
    const room = await makeRoom();
    const a = await member(room);
    const watcher = await connect(room.channelId, { token: (await member(room)).token });
    const s = await connect(room.channelId, { token: a.token });
    const s2 = await connect(room.channelId, { token: a.token, receive: "none" });
    for (let i = 0; i < 5; i++) s.send({ op: "message", content: "hello once", nonce: "burst-1" });
    s2.send({ op: "message", content: "hello once", nonce: "burst-1" });
    await s.until((fs) => fs.filter((f) => f.op === "message_ack").length === 5);
    await s2.next("message_ack");
    s.send({ op: "message", content: "hello once", nonce: "burst-1" });
    await s.until((fs) => fs.filter((f) => f.op === "message_ack").length === 6);
    const acks = [...s.ops("message_ack"), ...s2.ops("message_ack")];
    expect(new Set(acks.map((f) => `${f.id}/${f.seq}/${f.nonce}`)).size).toBe(1);
    // a different message afterwards takes the next seq: no gap where the resends were
    s.send({ op: "message", content: "next", nonce: "burst-2" });
    const next = await s.next("message_ack", { nonce: "burst-2" });
    expect(next.seq).toBe(Number(acks[0]?.seq) + 1);
    await watcher.until((fs) => fs.some((f) => f.op === "message" && f.id === next.id));
    expect(watcher.ops("message").map((f) => f.content)).toEqual(["hello once", "next"]);
    expect(await count(room.channelId)).toBe(2);
    for (const c of [watcher, s, s2]) c.close();
  });

  it("REST and socket share the nonce; concurrent resends store once; nonces are per agent and channel", async () => {
    const room = await makeRoom();
    const other = await makeRoom();
    const [a, b] = await Promise.all([member(room), member(room)]);
    const { join } = await import("../support/channel-fixtures");
    await join(other.serverId, a.id);
    const rest = await api<Posted>("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: a.token,
      body: { content: "x", nonce: "shared" },
    });
    const s = await connect(room.channelId, { token: a.token, receive: "none" });
    s.send({ op: "message", content: "x", nonce: "shared" });
    expect(await s.next("message_ack")).toMatchObject({ id: rest.body.message.id, seq: rest.body.message.seq });
    const burst = await Promise.all(
      Array.from({ length: 20 }, () =>
        api<Posted>("POST", `/api/v1/channels/${room.channelId}/messages`, {
          token: a.token,
          body: { content: "concurrent", nonce: "c-20" },
        }),
      ),
    );
    expect(burst.filter((r) => r.status === 201)).toHaveLength(1);
    expect(burst.filter((r) => r.status === 200)).toHaveLength(19);
    expect(new Set(burst.map((r) => r.body.message.id)).size).toBe(1);
    // the same nonce from another agent, or in another channel, is another message
    const byB = await api<Posted>("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: b.token,
      body: { content: "x", nonce: "shared" },
    });
    const elsewhere = await api<Posted>("POST", `/api/v1/channels/${other.channelId}/messages`, {
      token: a.token,
      body: { content: "x", nonce: "shared" },
    });
    expect([byB.status, elsewhere.status]).toEqual([201, 201]);
    expect(byB.body.message.id).not.toBe(rest.body.message.id);
    expect(await count(room.channelId)).toBe(3);
    expect(await seqs(room.channelId)).toEqual([1, 2, 3]);
    // a nonce longer than the protocol allows is refused, never truncated into someone else's key
    const long = await api("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: a.token,
      body: { content: "x", nonce: "n".repeat(65) },
    });
    expect(long.status).toBe(400);
    s.close();
  });
});
