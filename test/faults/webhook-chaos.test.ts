// Webhook chaos (issue 10, "Faults and load"): receivers that hang until the timeout, answer 500, 429,
// redirect, answer slowly, fail then recover, or are unreachable. The queue is simulated round by round
// exactly as Cloudflare Queues drives the consumer (wrangler.toml: max_batch_size 10, max_retries 3, then
// the dead-letter queue), through the real consumer, the real signer and the real database. Proves:
// deliveries are retried, dead-lettered and recorded; every message ends acked or retried (nothing
// silently dropped); one agent's hanging receiver never holds back other agents' deliveries in its batch.
import { afterAll, describe, expect, it } from "vitest";
import { createDatabase } from "../../common/db/client";
import { enqueueWake } from "../../common/wake";
import { handleQueue, WEBHOOKS_DLQ, WEBHOOKS_QUEUE } from "../../worker/queue/consumer";
import { testEnv } from "../helpers";
import { agentWithWebhook, deliveryRow, type Recorded, recordingBatch, recordingQueue } from "../support/webhooks";
import { FULL, figures, rng } from "./fault-helpers";

const KINDS = ["ok", "slow", "hang", "s500", "s429", "redirect", "network", "flaky"] as const;
type Kind = (typeof KINDS)[number];
const PER_KIND = FULL ? 10 : 1; // fast: one batch of 8 with the hanging receiver first
const BATCH = 10; // wrangler.toml max_batch_size
const MAX_RETRIES = 3; // wrangler.toml max_retries
/** Round 1 lets a hanging receiver hang long enough for every other delivery of its batch to finish. */
const FIRST_TIMEOUT_MS = FULL ? 10_000 : 3_000;
const LATER_TIMEOUT_MS = 300;
const SLOW_MS = FULL ? 2_000 : 200;

const stats = { deliveries: 0, attempts: 0, retried: 0, dead: 0, delivered: 0, failed: 0, unaccounted: 0 };
afterAll(() => figures("webhook-chaos", stats));

describe("webhook chaos", () => {
  it(
    "hang / 500 / 429 / redirect / slow / flaky / unreachable: retried, dead-lettered, recorded, never blocking",
    async () => {
      const random = rng(Number(Date.now() % 1e9));
      // agents and their queued wakes
      const cases: { kind: Kind; deliveryId: string }[] = [];
      const db = createDatabase(testEnv);
      try {
        for (const kind of KINDS) {
          for (let i = 0; i < PER_KIND; i++) {
            const agent = await agentWithWebhook({ url: `http://127.0.0.1:9/hook/${kind}/${i}` });
            const r = await enqueueWake(recordingQueue().env, db, agent.id, {
              type: "mention.received",
              channel_id: crypto.randomUUID(),
              message_id: crypto.randomUUID(),
              from: { id: crypto.randomUUID(), username: "chaos" },
            });
            if (r.status !== "queued") throw new Error(`not queued: ${r.status}`);
            cases.push({ kind, deliveryId: r.delivery_id });
          }
        }
      } finally {
        await db.close();
      }
      stats.deliveries = cases.length;

      // the receivers, by URL path; attempts per delivery id
      const calls = new Map<string, number>();
      let othersDone = 0; // non-hanging receivers that answered
      // at each hang's timeout in round 1: how many other receivers had answered
      const hangSawOthersDone: { id: string; othersDone: number }[] = [];
      const batchOf = new Map<string, number>(); // round 1: delivery id -> batch index
      let round = 1;
      const fetch = async (req: Request): Promise<Response> => {
        const kind = new URL(req.url).pathname.split("/")[2] as Kind;
        const id = req.headers.get("X-MoltStack-Delivery") ?? "";
        const n = (calls.get(id) ?? 0) + 1;
        calls.set(id, n);
        const done = (r: Response) => {
          othersDone += 1;
          return r;
        };
        switch (kind) {
          case "ok":
            return done(new Response(null, { status: 204 }));
          case "slow":
            await new Promise((r) => setTimeout(r, SLOW_MS));
            return done(new Response(null, { status: 200 }));
          case "hang":
            return new Promise<Response>((_, reject) => {
              req.signal.addEventListener("abort", () => {
                if (round === 1) hangSawOthersDone.push({ id, othersDone });
                reject(req.signal.reason);
              });
            });
          case "s500":
            return done(new Response("boom", { status: 500 }));
          case "s429":
            return done(new Response(null, { status: 429, headers: { "Retry-After": "5" } }));
          case "redirect":
            return done(new Response(null, { status: 302, headers: { Location: "http://169.254.169.254/" } }));
          case "network":
            othersDone += 1;
            throw new TypeError("connection refused");
          case "flaky":
            return done(new Response(null, { status: n <= 2 ? 503 : 204 }));
        }
      };

      // Queues, simulated: attempt r for everything still queued, in shuffled batches of ≤ 10
      let queued = cases.map((c) => c.deliveryId);
      const dead: string[] = [];
      const delays = new Map<string, number[]>();
      for (round = 1; round <= MAX_RETRIES + 1 && queued.length > 0; round++) {
        let order = [...queued].sort(() => random() - 0.5);
        // round 1: one hanging receiver at the head of each batch, the worst place for a sequential consumer
        if (round === 1) order = hangFirst(order, (id) => kindOf(cases, id) === "hang", batchOf);
        const next: string[] = [];
        for (let i = 0; i < order.length; i += BATCH) {
          const ids = order.slice(i, i + BATCH);
          const { batch, records } = recordingBatch(
            WEBHOOKS_QUEUE,
            ids.map((id) => ({ body: { delivery_id: id }, attempts: round })),
          );
          await handleQueue(batch, testEnv, {
            fetch,
            timeoutMs: round === 1 ? FIRST_TIMEOUT_MS : LATER_TIMEOUT_MS,
            random: () => 0,
          });
          ids.forEach((id, k) => {
            const rec = records[k] as Recorded;
            stats.attempts += 1;
            if (!rec.acked && !rec.retried) stats.unaccounted += 1;
            if (rec.retried) {
              delays.set(id, [...(delays.get(id) ?? []), rec.retried.delaySeconds ?? 0]);
              // after the last retry Queues hands the message to the dead-letter queue
              if (round > MAX_RETRIES) dead.push(id);
              else {
                stats.retried += 1;
                next.push(id);
              }
            }
          });
        }
        queued = next;
      }
      // the dead-letter consumer
      for (let i = 0; i < dead.length; i += BATCH) {
        const ids = dead.slice(i, i + BATCH);
        const { batch, records } = recordingBatch(
          WEBHOOKS_DLQ,
          ids.map((id) => ({ body: { delivery_id: id }, attempts: 1 })),
        );
        await handleQueue(batch, testEnv, { fetch });
        for (const rec of records) expect(rec.acked).toBe(true);
      }

      expect(stats.unaccounted).toBe(0);
      // not blocked: when any hanging receiver timed out, every other receiver of round 1 had answered
      expect(hangSawOthersDone).toHaveLength(PER_KIND);
      for (const { id, othersDone: seen } of hangSawOthersDone) {
        const upTo = batchOf.get(id) ?? -1;
        const others = cases.filter((c) => c.kind !== "hang" && (batchOf.get(c.deliveryId) ?? 99) <= upTo).length;
        expect(seen).toBe(others);
      }

      const expected: Record<Kind, { status: string; attempts: number }> = {
        ok: { status: "delivered", attempts: 1 },
        slow: { status: "delivered", attempts: 1 },
        flaky: { status: "delivered", attempts: 3 },
        redirect: { status: "failed", attempts: 1 },
        hang: { status: "dead", attempts: MAX_RETRIES + 1 },
        s500: { status: "dead", attempts: MAX_RETRIES + 1 },
        s429: { status: "dead", attempts: MAX_RETRIES + 1 },
        network: { status: "dead", attempts: MAX_RETRIES + 1 },
      };
      for (const c of cases) {
        const row = await deliveryRow(c.deliveryId);
        expect(row, c.kind).toMatchObject(expected[c.kind]);
        expect(calls.get(c.deliveryId), c.kind).toBe(expected[c.kind].attempts);
        if (row?.status === "dead") stats.dead += 1;
        if (row?.status === "delivered") stats.delivered += 1;
        if (row?.status === "failed") stats.failed += 1;
        if (c.kind === "hang") expect(row?.lastError).toMatch(/timed out/);
        if (c.kind === "s500") expect(row?.lastStatusCode).toBe(500);
        if (c.kind === "redirect") expect(row?.lastError).toMatch(/redirect \(302\) not followed/);
        if (c.kind === "s429") for (const d of delays.get(c.deliveryId) ?? []) expect(d).toBeGreaterThanOrEqual(5);
        if (c.kind === "network") expect(row?.lastError).toMatch(/network error/);
      }
      // every delivery is final: none left pending or retrying
      expect(stats.dead + stats.delivered + stats.failed).toBe(cases.length);
    },
    60_000 + Math.ceil((KINDS.length * PER_KIND) / BATCH) * FIRST_TIMEOUT_MS * 2,
  );
});

/** Batches of BATCH with one hanging receiver first in each (while any are left); records batch indexes. */
function hangFirst(ids: string[], isHang: (id: string) => boolean, batchOf: Map<string, number>): string[] {
  const hangs = ids.filter(isHang);
  const rest = ids.filter((id) => !isHang(id));
  const out: string[] = [];
  for (let b = 0; hangs.length + rest.length > 0; b++) {
    const batch = [hangs.shift(), ...rest.splice(0, BATCH - 1)].filter((x): x is string => x !== undefined);
    while (batch.length < BATCH && hangs.length) batch.push(hangs.shift() as string);
    for (const id of batch) batchOf.set(id, b);
    out.push(...batch);
  }
  return out;
}

function kindOf(cases: { kind: Kind; deliveryId: string }[], id: string): Kind | undefined {
  return cases.find((c) => c.deliveryId === id)?.kind;
}
