// Anonymous resource consumption (issue 15, items 6 and 7), as the outside attacker ran it: 500 anonymous
// requests from one IP to the server list, search, channel history and /stats all answered 200; 500
// anonymous viewer sockets from one client were all accepted; a 29-byte `resume {after_seq: 0}` replayed a
// whole channel (21 MB for 5,000 messages), again and again; sockets that stopped reading made the server
// queue without bound. Now: per-network budgets (IPv6 per /64) with X-RateLimit-* headers, socket caps,
// replays cut for viewers and limited per socket and network, and unread sockets closed with 4008.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { RATE, SOCKET_LIMITS } from "../../common/limits";
import { UnreadLedger } from "../../durable-objects/channel/backpressure";
import { CLOSE } from "../../protocol";
import { type ApiResponse, api, asSystem, createAgent } from "../helpers";
import { uniqueIp } from "../identity";
import { type Client, connect, join, makeRoom, upgrade } from "../support/channel-fixtures";

/** Fill a channel with `n` messages of `len` characters (seqs 1..n), as the channel object stores them. */
async function history(channelId: string, authorId: string, n: number, len: number): Promise<void> {
  await asSystem(async (tx) => {
    await tx.execute(sql`insert into messages (id, channel_id, agent_id, content, seq)
      select gen_random_uuid(), ${channelId}, ${authorId}, repeat('x', ${len}), g from generate_series(1, ${n}) g`);
    await tx.execute(sql`update channels set last_seq = ${n} where id = ${channelId}`);
  });
}

/** Per fixed window (grouped by X-RateLimit-Reset): at most `limit` admitted; once over, refused with the headers. */
function expectWithinLimit(rs: ApiResponse<unknown>[], limit: number) {
  const windows = new Map<string, ApiResponse<unknown>[]>();
  for (const r of rs) {
    const k = r.headers.get("x-ratelimit-reset") ?? "none";
    windows.set(k, [...(windows.get(k) ?? []), r]);
  }
  expect(windows.has("none")).toBe(false);
  for (const w of windows.values()) {
    const ok = w.filter((r) => r.status === 200);
    expect(ok.length).toBeLessThanOrEqual(limit);
    if (w.length > limit) expect(ok.length).toBe(limit);
    for (const r of w) {
      expect(r.headers.get("x-ratelimit-limit")).toBe(String(limit));
      if (r.status !== 200) {
        expect(r.status).toBe(429);
        expect(r.headers.get("x-ratelimit-remaining")).toBe("0");
        expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      }
    }
  }
}

const ops = (c: Client, op: string) => c.frames.filter((f) => f.op === op);

describe("anonymous reads", () => {
  it("one network's flood of list, history, server and /stats reads is cut at its budget; others are not", async () => {
    const room = await makeRoom();
    const ip = uniqueIp();
    const paths = [
      "/api/v1/servers",
      `/api/v1/servers/${room.serverId}`,
      `/api/v1/channels/${room.channelId}/messages`,
      `/api/v1/servers/${room.serverId}/channels`,
      "/api/v1/stats",
    ];
    const rs: ApiResponse<unknown>[] = [];
    // ten at a time, as a script would, until refused (fixed windows: a run that straddles a window
    // boundary needs up to twice the budget)
    for (let i = 0; i < 2 * RATE.anonRead.limit + 10 && !rs.some((r) => r.status === 429); i += 10) {
      const batch = Array.from({ length: 10 }, (_, k) =>
        api("GET", paths[(i + k) % paths.length] ?? "/api/v1/servers", { headers: { "cf-connecting-ip": ip } }),
      );
      rs.push(...(await Promise.all(batch)));
    }
    expect(rs.some((r) => r.status === 429)).toBe(true);
    expectWithinLimit(rs, RATE.anonRead.limit);
    // another network, and an agent on the same network (its own budget), are served meanwhile
    expect((await api("GET", "/api/v1/servers", { headers: { "cf-connecting-ip": uniqueIp() } })).status).toBe(200);
    const agent = await createAgent();
    const mine = await api("GET", "/api/v1/servers", { token: agent.token, headers: { "cf-connecting-ip": ip } });
    expect(mine.status).toBe(200);
  });

  it("anonymous search has its own, smaller budget; an IPv6 /64 is one network", async () => {
    const net = `2001:db8:${[...crypto.getRandomValues(new Uint16Array(2))].map((x) => x.toString(16)).join(":")}`;
    const rs: ApiResponse<unknown>[] = [];
    for (let i = 0; i < 2 * RATE.anonSearch.limit + 5 && !rs.some((r) => r.status === 429); i++) {
      const r = await api("GET", `/api/v1/search?q=srv&type=servers`, {
        headers: { "cf-connecting-ip": `${net}:${i.toString(16)}::${(i + 1).toString(16)}` },
      });
      rs.push(r);
    }
    expect(rs.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expectWithinLimit(rs, RATE.anonSearch.limit);
  });
});

describe("anonymous sockets", () => {
  it("one network holds at most a few viewer sockets per channel, and opens at most 30 a minute", async () => {
    const room = await makeRoom();
    const ip = uniqueIp();
    const statuses: number[] = [];
    const held: Response[] = [];
    for (let i = 0; i < SOCKET_LIMITS.viewerSocketsPerChannel + 3; i++) {
      const r = await upgrade(room.channelId, { ip });
      statuses.push(r.status);
      if (r.webSocket) {
        r.webSocket.accept();
        held.push(r);
      } else await r.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 101)).toHaveLength(SOCKET_LIMITS.viewerSocketsPerChannel);
    expect(statuses.slice(SOCKET_LIMITS.viewerSocketsPerChannel)).toEqual([429, 429, 429]);

    // spread over channels, the opening rate still stops at the network's budget
    const other = uniqueIp();
    const rooms = await Promise.all(Array.from({ length: 8 }, () => makeRoom()));
    const opened: number[] = [];
    let refusal: Response | null = null;
    // until refused (a run that straddles a fixed window's boundary needs up to twice the budget)
    for (let i = 0; i < 2 * RATE.anonSockets.limit + 1 && !refusal; i++) {
      const r = await upgrade(rooms[i % rooms.length]?.channelId ?? room.channelId, { ip: other });
      opened.push(r.status);
      if (r.webSocket) r.webSocket.accept();
      else refusal = r;
    }
    expect(opened.filter((s) => s === 101).length).toBeLessThanOrEqual(2 * RATE.anonSockets.limit);
    expect(refusal?.status).toBe(429);
    expect(refusal?.headers.get("x-ratelimit-limit")).toBe(String(RATE.anonSockets.limit));
    expect(refusal?.headers.get("retry-after")).toMatch(/^\d+$/);
    for (const r of held) r.webSocket?.close(1000, "done");
  });

  it("an anonymous resume {after_seq: 0} replays the newest 200 messages only, a few times a minute", async () => {
    const room = await makeRoom();
    await history(room.channelId, room.owner.id, 600, 40);
    const ip = uniqueIp();
    const a = await connect(room.channelId, { afterSeq: 0, ip });
    const first = await a.next("resumed");
    expect(ops(a, "message")).toHaveLength(SOCKET_LIMITS.viewerReplayMessages);
    expect(first).toMatchObject({ seq: 600, from_seq: 600 - SOCKET_LIMITS.viewerReplayMessages + 1 });
    // the same socket asks again and again: after resumesPerMinute, refused
    for (let i = 1; i < SOCKET_LIMITS.resumesPerMinute; i++) {
      const seen = ops(a, "resumed").length;
      a.send({ op: "resume", after_seq: 0 });
      await a.until((fs) => fs.filter((f) => f.op === "resumed").length > seen);
    }
    a.send({ op: "resume", after_seq: 0 });
    const refused = await a.next("error", { code: "rate_limited" });
    expect(refused.retry_after).toEqual(expect.any(Number));
    expect(ops(a, "message").length).toBe(SOCKET_LIMITS.viewerReplayMessages * SOCKET_LIMITS.resumesPerMinute);

    // more sockets from the same network share one replay budget
    let replays = SOCKET_LIMITS.resumesPerMinute;
    let blocked = false;
    for (let s = 0; s < 5 && !blocked; s++) {
      const b = await connect(room.channelId, { ip });
      for (let i = 0; i < SOCKET_LIMITS.resumesPerMinute && !blocked; i++) {
        const before = b.frames.length;
        b.send({ op: "resume", after_seq: 590 });
        const f = await b.until((fs) => fs.slice(before).find((x) => x.op === "resumed" || x.op === "error"));
        if (f.op === "error") {
          expect(f.code).toBe("rate_limited");
          blocked = true;
        } else replays++;
      }
      b.close();
    }
    expect(blocked).toBe(true);
    expect(replays).toBeLessThanOrEqual(RATE.viewerReplays.limit);
    a.close();
  });
});

describe("backpressure", () => {
  it("a socket that reads nothing and says nothing is closed (4008) instead of queueing a 5 MB replay", async () => {
    const room = await makeRoom();
    const member = await createAgent();
    await join(room.serverId, member.id);
    await history(room.channelId, room.owner.id, 1200, 4000);
    const c = await connect(room.channelId, { token: member.token, afterSeq: 0 });
    await c.until(() => c.closed, 20_000);
    expect(c.closed?.code).toBe(CLOSE.slowReader);
    expect(ops(c, "message").length).toBeLessThan(1200);
    expect(ops(c, "message").length * 4000).toBeLessThanOrEqual(SOCKET_LIMITS.unreadBytes);
    // it reconnects where it stopped and the replay goes on: nothing is lost, only paced
    const last = Number(ops(c, "message").at(-1)?.seq ?? 0);
    const again = await connect(room.channelId, { token: member.token, afterSeq: last });
    await again.next("message", { seq: last + 1 });
    again.close();
  });

  it("any frame or ping from the client counts as a sign of life (the budget starts again)", () => {
    let ping: number | null = null;
    const ledger = new UnreadLedger(1000, () => ping);
    const ws = {} as WebSocket;
    expect(ledger.sent(ws, 600, 1)).toBe(true);
    expect(ledger.sent(ws, 600, 2)).toBe(false);
    ping = 3;
    expect(ledger.sent(ws, 600, 4)).toBe(true);
    expect(ledger.sent(ws, 600, 5)).toBe(false);
    ledger.alive(ws, 6);
    expect(ledger.sent(ws, 900, 7)).toBe(true);
  });
});
