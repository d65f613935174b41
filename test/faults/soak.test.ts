// Soak (issue 10, "Faults and load"): agents chatting across channels while sockets drop and reconnect
// with `after_seq`, subscribers send `resume`, and channel objects are evicted mid-stream. At the end:
// every acked message is in Postgres exactly once with its acked seq, seqs are gap-free, nothing is
// stored twice, and every subscriber (after its final resume) has seen every message, in seq order.
// Fast profile: a few seconds in `npm test`; FAULTS_PROFILE=full: minutes (`npm run test:faults`).
import { evictDurableObject } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../../common/db/actor";
import { agentConfig } from "../../common/db/schema";
import { LIMITS } from "../../common/limits";
import { asSystem, createAgent, queryAs, type TestAgent } from "../helpers";
import { uniqueIp } from "../identity";
import { type Client, connect, type Frame, join, makeRoom, roomStub } from "../support/channel-fixtures";
import { FULL, figures, rng } from "./fault-helpers";

const CHANNELS = FULL ? 4 : 2;
const AGENTS = FULL ? 12 : 5;
const OBSERVERS_PER_CHANNEL = FULL ? 2 : 1;
const SECONDS = FULL ? 180 : 6;
const EVICT_EVERY_MS = FULL ? 20_000 : 1_000;
/** the channel limit is 30/min per agent per channel: pace under it so the load is real messages */
const SEND_GAP_MS = 2_100;
const SEED = Number(Date.now() % 1e9);

interface Sub {
  name: string;
  channel: string;
  token?: string;
  /** anonymous viewers: each its own network (per-network socket and replay limits, issue 15) */
  ip?: string;
  client: Client | null;
  last: number;
  resuming: boolean;
  gaps: number;
  dups: number;
}

interface Sent {
  channel: string;
  nonce: string;
  content: string;
  outcome: "pending" | "acked" | "refused";
  id?: string;
  seq?: number;
  code?: string;
}

const fig = {
  seed: SEED,
  channels: CHANNELS,
  agents: AGENTS,
  seconds: SECONDS,
  sent: 0,
  acked: 0,
  refused: 0,
  unanswered: 0,
  stored: 0,
  stored_not_acked: 0,
  lost: 0,
  duplicated: 0,
  disconnects: 0,
  resumes: 0,
  evictions: 0,
  reconnects: 0,
  live_gaps_repaired: 0,
  subscribers_complete: 0,
  subscribers: 0,
  setup_ms: 0,
  chat_ms: 0,
  evict_ms: 0,
  verify_ms: 0,
};
afterAll(() => figures("soak", fig));

function attach(sub: Sub, sent: Map<string, Sent>) {
  const c = sub.client;
  if (!c) return;
  c.ws.addEventListener("message", (e) => {
    const f = JSON.parse(e.data as string) as Frame;
    if (f.op === "message" && typeof f.seq === "number") {
      if (f.seq === sub.last + 1) sub.last = f.seq;
      else if (f.seq <= sub.last) sub.dups += 1;
      else if (!sub.resuming) {
        // a gap in the live stream (a broadcast lost to an eviction): what a client does is resume
        sub.gaps += 1;
        sub.resuming = true;
        c.send({ op: "resume", after_seq: sub.last });
      }
    } else if (f.op === "resumed") sub.resuming = false;
    else if (f.op === "error" && f.code === "unavailable" && f.nonce == null) sub.resuming = false;
    else if ((f.op === "message_ack" || f.op === "error") && typeof f.nonce === "string") {
      const s = sent.get(f.nonce);
      if (s?.outcome !== "pending") return;
      if (f.op === "message_ack") {
        s.outcome = "acked";
        s.id = String(f.id);
        s.seq = Number(f.seq);
      } else {
        s.outcome = "refused";
        s.code = String(f.code);
      }
    }
  });
}

async function open(sub: Sub, sent: Map<string, Sent>) {
  sub.client = await connect(sub.channel, {
    ...(sub.token ? { token: sub.token } : {}),
    ...(sub.ip ? { ip: sub.ip } : {}),
    afterSeq: sub.last,
  });
  sub.resuming = true; // the connect replays after `last`, then says `resumed`
  attach(sub, sent);
}

describe("soak", () => {
  it(
    `${AGENTS} agents × ${CHANNELS} channels for ${SECONDS}s with disconnects, resumes and evictions: nothing acked lost`,
    async () => {
      const tStart = Date.now();
      const random = rng(SEED);
      const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)] as T;
      const rooms = await Promise.all(Array.from({ length: CHANNELS }, () => makeRoom()));
      const agents: TestAgent[] = [];
      for (let i = 0; i < AGENTS; i++) {
        const a = await createAgent();
        agents.push(a);
        await asSystem((tx) =>
          tx.insert(agentConfig).values({ agentId: a.id, maxOutboundPerHour: LIMITS.maxOutboundPerHourMax }),
        );
        for (const r of rooms) await join(r.serverId, a.id);
      }
      const sent = new Map<string, Sent>();
      const subs: Sub[] = [];
      const senders = new Map<string, Sub>(); // `${agent}:${channel}` -> its socket
      for (const r of rooms) {
        for (const a of agents) {
          const s: Sub = {
            name: `${a.username}@${r.channelId}`,
            channel: r.channelId,
            token: a.token,
            client: null,
            last: 0,
            resuming: false,
            gaps: 0,
            dups: 0,
          };
          subs.push(s);
          senders.set(`${a.id}:${r.channelId}`, s);
        }
        for (let i = 0; i < OBSERVERS_PER_CHANNEL; i++) {
          subs.push({
            name: `anon${i}@${r.channelId}`,
            channel: r.channelId,
            ip: uniqueIp(),
            client: null,
            last: 0,
            resuming: false,
            gaps: 0,
            dups: 0,
          });
        }
      }
      for (const s of subs) await open(s, sent);
      fig.subscribers = subs.length;

      const nextSend = new Map<string, number>();
      const t0 = Date.now();
      fig.setup_ms = t0 - tStart;
      let nextEvict = t0 + EVICT_EVERY_MS;
      let evicting: Promise<void> | null = null;
      let n = 0;
      // Graceful eviction waits for the object to drain (with its database connection open, the driver's
      // 10 s idle timeout), so the channel being evicted is left alone meanwhile and the chat goes on in the
      // others. Chat for SECONDS, then until the last eviction completed and its channel chatted again.
      let evictingChannel: string | null = null;
      let lastEvictDone = 0;
      const cap = (SECONDS + 25) * 1000;
      const busy = (ch: string) => ch === evictingChannel;
      for (;;) {
        const now = Date.now();
        const elapsed = now - t0;
        if (elapsed >= cap) break;
        if (elapsed >= SECONDS * 1000 && !evicting && now - lastEvictDone > 1_500) break;
        // chat: every agent whose pace allows sends in a random channel
        for (const a of agents) {
          const r = pick(rooms);
          if (busy(r.channelId)) continue;
          const key = `${a.id}:${r.channelId}`;
          if ((nextSend.get(key) ?? 0) > now || random() < 0.3) continue;
          const s = senders.get(key);
          if (!s?.client || s.client.closed) continue;
          nextSend.set(key, now + SEND_GAP_MS);
          n += 1;
          const nonce = `n${n}`;
          const content = `soak ${SEED} ${nonce} from ${a.username}`;
          sent.set(nonce, { channel: r.channelId, nonce, content, outcome: "pending" });
          s.client.send({ op: "message", content, content_type: "text", nonce });
          fig.sent += 1;
        }
        // a random disconnect + reconnect with after_seq
        const d = random() < 0.25 ? pick(subs) : null;
        if (d && !busy(d.channel)) {
          d.client?.close();
          fig.disconnects += 1;
          await open(d, sent);
        }
        // a random explicit resume on a live socket
        if (random() < 0.1) {
          const s = pick(subs);
          if (s.client && !s.resuming && !busy(s.channel)) {
            s.resuming = true;
            s.client.send({ op: "resume", after_seq: Math.max(0, s.last - Math.floor(random() * 5)) });
            fig.resumes += 1;
          }
        }
        for (const s of subs) {
          if (s.client?.closed && !busy(s.channel)) {
            fig.reconnects += 1;
            await open(s, sent);
          }
        }
        // an eviction of a random channel object, not awaited: the chat goes on while it drains and is torn
        // down (in-memory state gone, storage kept, hibernated sockets kept)
        if (now >= nextEvict && !evicting && elapsed < SECONDS * 1000) {
          const te = Date.now();
          const ch = pick(rooms).channelId;
          evictingChannel = ch;
          evicting = evictDurableObject(roomStub(ch)).finally(() => {
            evicting = null;
            evictingChannel = null;
            lastEvictDone = Date.now();
            nextEvict = lastEvictDone + EVICT_EVERY_MS;
            fig.evictions += 1;
            fig.evict_ms += Date.now() - te;
          });
        }
        await new Promise((r) => setTimeout(r, 100));
      }

      fig.chat_ms = Date.now() - t0;
      await evicting;
      const tVerify = Date.now();
      // drain: answers for what is in flight (an eviction can swallow an answer: it stays "pending")
      const drainUntil = Date.now() + 5_000;
      while ([...sent.values()].some((s) => s.outcome === "pending") && Date.now() < drainUntil) {
        await new Promise((r) => setTimeout(r, 50));
      }

      // Postgres: seqs gap-free, every acked message exactly once with its acked seq, nothing twice
      for (const r of rooms) {
        const rows = await queryAs<{ id: string; seq: string; content: string }>(
          SYSTEM,
          sql`select id, seq, content from messages where channel_id = ${r.channelId} order by seq`,
        );
        fig.stored += rows.length;
        expect(rows.map((x) => Number(x.seq))).toEqual(rows.map((_, i) => i + 1));
        const byContent = new Map<string, number>();
        for (const x of rows) byContent.set(x.content, (byContent.get(x.content) ?? 0) + 1);
        for (const c of byContent.values()) if (c > 1) fig.duplicated += 1;
        for (const s of sent.values()) {
          if (s.channel !== r.channelId) continue;
          const hits = rows.filter((x) => x.content === s.content);
          if (s.outcome === "acked") {
            fig.acked += 1;
            if (hits.length === 0) fig.lost += 1;
            expect(hits.map((x) => [x.id, Number(x.seq)])).toEqual([[s.id, s.seq]]);
          } else {
            if (s.outcome === "refused") fig.refused += 1;
            else fig.unanswered += 1;
            if (hits.length > 0) fig.stored_not_acked += 1;
            if (s.outcome === "refused") expect(hits).toHaveLength(0); // refused = not stored
          }
        }
        // subscribers: a final resume, then each must have seen every seq 1..max in order
        const max = rows.length;
        for (const s of subs.filter((x) => x.channel === r.channelId)) {
          const deadline = Date.now() + 15_000;
          while (s.last < max && Date.now() < deadline) {
            if (!s.client || s.client.closed) await open(s, sent);
            else if (!s.resuming) {
              s.resuming = true;
              s.client.send({ op: "resume", after_seq: s.last });
            }
            await new Promise((res) => setTimeout(res, 50));
          }
          expect(s.last, s.name).toBe(max);
          fig.subscribers_complete += 1;
          fig.live_gaps_repaired += s.gaps;
        }
      }
      fig.verify_ms = Date.now() - tVerify;
      expect(fig.lost).toBe(0);
      expect(fig.duplicated).toBe(0);
      expect(fig.acked).toBeGreaterThan(0);
      for (const s of subs) s.client?.close();
    },
    (SECONDS + 120) * 1000,
  );
});
