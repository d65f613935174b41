// Database faults (issue 10, "Faults and load"): the proxy to Postgres is cut mid-request and mid-flush,
// or refuses connections for a while. The API must answer 503 `database_unavailable` with Retry-After
// (never 500); the channel object must answer senders with a retryable `error` (never an ack) for what
// was not committed, recover on its own once the database is back, and lose nothing it acked. Faults are
// scoped to this file's connections (fault-helpers.ts), so the rest of `npm test` is undisturbed.
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { type ApiResponse, api, createAgent, queryAs } from "../helpers";
import { registerWithKey, uniqueIp } from "../identity";
import { type Client, connect, type Frame, makeRoom, member } from "../support/channel-fixtures";
import { control, figures, routeThroughFaultTag, waitFor } from "./fault-helpers";

const TAG = `db-faults-${crypto.randomUUID().slice(0, 8)}`;
const seen = { requests: 0, s503: 0, s5xxOther: 0, acked: 0, refused: 0, lost: 0, duplicated: 0 };

type ErrBody = { error?: { code?: string; message?: string; retry_after?: number } };

function expectUnavailable(r: ApiResponse<unknown>, what: string) {
  seen.requests += 1;
  if (r.status === 503) seen.s503 += 1;
  else if (r.status >= 500) seen.s5xxOther += 1;
  expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(503);
  expect((r.body as ErrBody).error?.code, what).toBe("database_unavailable");
  expect(Number(r.headers.get("retry-after")), what).toBeGreaterThan(0);
  expect(JSON.stringify(r.body), what).not.toMatch(/stack|at \w+ \(|ECONN|postgres/i);
}

async function send(c: Client, content: string, nonce: string): Promise<Frame> {
  c.send({ op: "message", content, content_type: "text", nonce });
  return c.until((fs) => fs.find((f) => (f.op === "message_ack" || f.op === "error") && f.nonce === nonce), 15_000);
}

async function rowsOf(channelId: string) {
  return queryAs<{ id: string; seq: string; content: string }>(
    SYSTEM,
    sql`select id, seq, content from messages where channel_id = ${channelId} order by seq`,
  );
}

/** Every acked message stored exactly once with its acked seq; seqs 1..n gap-free. */
async function expectAckedStoredOnce(channelId: string, acks: Frame[]) {
  const rows = await rowsOf(channelId);
  expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
  for (const a of acks) {
    const hits = rows.filter((r) => r.id === a.id);
    if (hits.length === 0) seen.lost += 1;
    if (hits.length > 1) seen.duplicated += 1;
    expect(hits.map((r) => Number(r.seq))).toEqual([a.seq]);
  }
  return rows;
}

beforeAll(async () => {
  await routeThroughFaultTag(TAG);
});
afterEach(async () => {
  await control(TAG, "resume");
});
afterAll(() => figures("db-faults", seen));

describe("database faults: REST", () => {
  it("a database that refuses connections gets 503 database_unavailable with Retry-After, then recovers", async () => {
    const agent = await createAgent();
    const room = await makeRoom();
    const ip = uniqueIp();
    await control(TAG, "pause");
    const calls: [string, () => Promise<ApiResponse<unknown>>][] = [
      ["GET @me", () => api("GET", "/api/v1/agents/@me", { token: agent.token })],
      ["GET config", () => api("GET", "/api/v1/agents/@me/config", { token: agent.token })],
      [
        "PATCH config",
        () => api("PATCH", "/api/v1/agents/@me/config", { token: agent.token, body: { idle_timeout_seconds: 90 } }),
      ],
      ["GET history", () => api("GET", `/api/v1/channels/${room.channelId}/messages`, { token: room.owner.token })],
      [
        "POST message (channel object)",
        () =>
          api("POST", `/api/v1/channels/${room.channelId}/messages`, {
            token: room.owner.token,
            body: { content: "while down" },
          }),
      ],
      ["GET servers", () => api("GET", "/api/v1/servers", { token: agent.token })],
      ["register", async () => (await registerWithKey(`down_${crypto.randomUUID().slice(0, 8)}`, ip)).res],
    ];
    for (const [what, call] of calls) expectUnavailable(await call(), what);
    await control(TAG, "resume");
    // recovery needs nothing but the database: the same calls succeed
    expect((await api("GET", "/api/v1/agents/@me", { token: agent.token })).status).toBe(200);
    const posted = await api<{ message: { id: string; seq: number } }>(
      "POST",
      `/api/v1/channels/${room.channelId}/messages`,
      { token: room.owner.token, body: { content: "back" } },
    );
    expect(posted.status).toBe(201);
    const rows = await rowsOf(room.channelId);
    expect(rows.map((r) => r.content)).toEqual(["back"]); // the refused post was not stored
  });

  it("a connection cut mid-request (query in flight) is a 503, never a 500", async () => {
    const agent = await createAgent();
    await control(TAG, "stall", { dir: "up" });
    const pending = api("PATCH", "/api/v1/agents/@me/config", {
      token: agent.token,
      body: { max_outbound_per_hour: 77 },
    });
    await waitFor("a query held by the proxy", async () => (await control(TAG, "stats")).held_up_bytes > 0);
    await control(TAG, "cut");
    expectUnavailable(await pending, "PATCH config cut mid-request");
    await control(TAG, "resume");
    const after = await api<{ max_outbound_per_hour: number }>("GET", "/api/v1/agents/@me/config", {
      token: agent.token,
    });
    expect(after.status).toBe(200);
    expect(after.body.max_outbound_per_hour).toBe(100); // the cut transaction was rolled back
  });
});

describe("database faults: channel object", () => {
  it("a flush cut before COMMIT answers a retryable error (no ack), stores nothing, and the object recovers", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const a = await connect(room.channelId, { token: alice.token });
    const acks: Frame[] = [];
    const first = await send(a, "before", "n0"); // warm: meta, membership, pool
    expect(first.op).toBe("message_ack");
    acks.push(first);

    await control(TAG, "stall", { dir: "up" });
    a.send({ op: "message", content: "cut mid-flush", content_type: "text", nonce: "n1" });
    await waitFor("the flush held by the proxy", async () => (await control(TAG, "stats")).held_up_bytes > 0);
    await control(TAG, "cut");
    await control(TAG, "resume"); // the object's look-up of the batch (writer.ts #recheck) may now run
    const refused = await a.next("error", { nonce: "n1" });
    seen.refused += 1;
    expect(refused).toMatchObject({ code: "unavailable", retry_after: 1 });
    expect(a.ops("message_ack").some((f) => f.nonce === "n1")).toBe(false);

    // the object recovers by itself: the next send is acked with the next seq
    const again = await send(a, "after", "n2");
    expect(again).toMatchObject({ op: "message_ack", seq: 2 });
    acks.push(again);
    seen.acked += acks.length;
    const rows = await expectAckedStoredOnce(room.channelId, acks);
    expect(rows.map((r) => r.content)).toEqual(["before", "after"]);
    expect(a.closed).toBeNull();
    a.close();
  });

  it("a batch of many posts cut in flight is refused (never acked), nothing half-stored; resent with their nonces, each is stored once", async () => {
    const room = await makeRoom();
    const senders = await Promise.all(Array.from({ length: 6 }, () => member(room)));
    const socks = await Promise.all(senders.map((s) => connect(room.channelId, { token: s.token, receive: "none" })));
    const acks: Frame[] = [];
    for (const [i, s] of socks.entries()) acks.push(await send(s, `warm ${i}`, `w${i}`)); // meta, members, pool
    await control(TAG, "stall", { dir: "up" });
    for (const [i, s] of socks.entries()) {
      for (let k = 0; k < 3; k++)
        s.send({ op: "message", content: `cut ${i}.${k}`, content_type: "text", nonce: `c${i}.${k}` });
    }
    await waitFor("a batch held by the proxy", async () => (await control(TAG, "stats")).held_up_bytes > 0);
    await control(TAG, "cut");
    await control(TAG, "resume");
    for (const [i, s] of socks.entries()) {
      for (let k = 0; k < 3; k++) {
        const f = await s.until(
          (fs) => fs.find((x) => (x.op === "message_ack" || x.op === "error") && x.nonce === `c${i}.${k}`),
          15_000,
        );
        // the batch in flight is refused; posts queued behind it may have been committed after recovery
        if (f.op === "error") {
          seen.refused += 1;
          expect(f).toMatchObject({ code: "unavailable" });
        } else acks.push(f);
      }
    }
    // resend everything: each nonce ends stored exactly once, seqs gap-free
    for (const [i, s] of socks.entries()) {
      for (let k = 0; k < 3; k++) {
        const from = s.frames.length;
        s.send({ op: "message", content: `cut ${i}.${k}`, content_type: "text", nonce: `c${i}.${k}` });
        const f = await s.until(
          (fs) => fs.slice(from).find((x) => x.op === "message_ack" && x.nonce === `c${i}.${k}`),
          15_000,
        );
        if (!acks.some((x) => x.nonce === f.nonce && x.id === f.id)) acks.push(f);
      }
    }
    seen.acked += acks.length;
    const rows = await expectAckedStoredOnce(room.channelId, acks);
    expect(rows).toHaveLength(6 + 18);
    for (const s of socks) s.close();
  });

  it("a database down for a while: sends are refused with `unavailable`, never acked; then everything resumes", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const a = await connect(room.channelId, { token: alice.token });
    const acks: Frame[] = [];
    for (let i = 0; i < 3; i++) acks.push(await send(a, `up ${i}`, `u${i}`));
    await control(TAG, "pause");
    for (let i = 0; i < 3; i++) {
      const r = await send(a, `down ${i}`, `d${i}`);
      seen.refused += 1;
      expect(r).toMatchObject({ op: "error", code: "unavailable" });
    }
    await control(TAG, "resume");
    for (let i = 0; i < 3; i++) acks.push(await send(a, `again ${i}`, `g${i}`));
    for (const f of acks) expect(f.op).toBe("message_ack");
    seen.acked += acks.length;
    const rows = await expectAckedStoredOnce(room.channelId, acks);
    expect(rows).toHaveLength(6);
    // a resume after recovery replays everything in order
    const from = a.frames.length;
    a.send({ op: "resume", after_seq: 0 });
    await a.next("resumed", {}, from);
    const replayed = a.frames
      .slice(from)
      .filter((f) => f.op === "message")
      .map((f) => f.seq);
    expect(replayed).toEqual([1, 2, 3, 4, 5, 6]);
    a.close();
  });

  it("a flush whose COMMIT reached Postgres but whose answer was lost is acked once, not refused", async () => {
    const room = await makeRoom();
    const alice = await member(room);
    const a = await connect(room.channelId, { token: alice.token });
    const acks: Frame[] = [await send(a, "warm", "w0")];
    // a batch is one statement, app.post_messages (issue 25): hold the answer of the one that reached Postgres
    await control(TAG, "stall", { dir: "down", after: "post_messages" });
    a.send({ op: "message", content: "answer lost", content_type: "text", nonce: "c1" });
    await waitFor(
      "the batch's answer held by the proxy",
      async () => (await control(TAG, "stats")).held_down_bytes > 0,
    );
    await control(TAG, "cut");
    await control(TAG, "resume");
    const out = await a.until((fs) => fs.find((f) => (f.op === "message_ack" || f.op === "error") && f.nonce === "c1"));
    // Postgres has it, so the sender must not be told "not stored" (a retry would store it twice)
    expect(out).toMatchObject({ op: "message_ack", seq: 2 });
    acks.push(out);
    acks.push(await send(a, "next", "c2"));
    seen.acked += acks.length;
    const rows = await expectAckedStoredOnce(room.channelId, acks);
    expect(rows.map((r) => r.content)).toEqual(["warm", "answer lost", "next"]);
    // the broadcast went out once too
    await a.until((fs) => fs.some((f) => f.op === "message" && f.seq === 3));
    expect(a.ops("message").map((f) => f.seq)).toEqual([1, 2, 3]);
    a.close();
  });
});
