import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDatabase } from "../../common/db/client";
import { agentConfig, agents } from "../../common/db/schema";
import { enqueueWake } from "../../common/wake";
import { asSystem, testEnv } from "../../test/helpers";
import {
  agentWithWebhook,
  deliveryRow,
  recordingBatch,
  recordingQueue,
  verifyingReceiver,
} from "../../test/support/webhooks";
import { handleQueue, WEBHOOKS_DLQ, WEBHOOKS_QUEUE } from "./consumer";

const from = { id: "0194a1b2-0000-7000-8000-0000000000dd", username: "sender" };
const noJitter = () => 0;

/** An agent with a webhook and one queued wake; returns its delivery id. */
async function queuedWake(opts: Parameters<typeof agentWithWebhook>[0] = {}) {
  const agent = await agentWithWebhook(opts);
  const db = createDatabase(testEnv);
  try {
    const r = await enqueueWake(recordingQueue().env, db, agent.id, {
      type: "mention.received",
      channel_id: crypto.randomUUID(),
      message_id: crypto.randomUUID(),
      from,
    });
    if (r.status !== "queued" && r.status !== "suppressed") throw new Error(`not queued: ${r.status}`);
    return { agent, deliveryId: r.delivery_id };
  } finally {
    await db.close();
  }
}

async function runOnce(
  deliveryId: string,
  attempts: number,
  fetch: (r: Request) => Promise<Response>,
  queue = WEBHOOKS_QUEUE,
) {
  const { batch, records } = recordingBatch(queue, [{ body: { delivery_id: deliveryId }, attempts }]);
  await handleQueue(batch, testEnv, { fetch, random: noJitter });
  const rec = records[0];
  if (!rec) throw new Error("no record");
  return rec;
}

describe("webhooks queue consumer", () => {
  it("delivers a signed wake the receiver verifies; the attempt is recorded", async () => {
    const { agent, deliveryId } = await queuedWake();
    const { receiver, seen } = verifyingReceiver(agent.secret);
    // through the real Queues test batch as well: ack is reported by getQueueResult
    const batch = createMessageBatch(WEBHOOKS_QUEUE, [
      { id: "m-ok", timestamp: new Date(), attempts: 1, body: { delivery_id: deliveryId } },
    ]);
    const ctx = createExecutionContext();
    await handleQueue(batch, testEnv, { fetch: receiver });
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["m-ok"]);
    expect(result.retryMessages).toEqual([]);

    expect(seen).toHaveLength(1);
    const hit = seen[0];
    expect(hit?.ok).toBe(true);
    expect(hit?.request.redirect).toBe("manual");
    expect(hit?.headers.get("X-MoltStack-Event")).toBe("mention.received");
    expect(hit?.headers.get("X-MoltStack-Delivery")).toBe(deliveryId);
    const body = JSON.parse(hit?.body ?? "{}");
    expect(Object.keys(body)).toEqual(["id", "type", "created_at", "agent_id", "channel_id", "message_id", "from"]);
    expect(body).toMatchObject({ id: deliveryId, type: "mention.received", agent_id: agent.id, from });
    expect(hit?.body).not.toMatch(/content/);

    const row = await deliveryRow(deliveryId);
    expect(row).toMatchObject({ status: "delivered", attempts: 1, lastStatusCode: 204, lastError: null });
    expect(row?.deliveredAt).toBeInstanceOf(Date);
  });

  it("issue 24: the request id of the wake's queue message reaches the receiver as X-MoltStack-Request-Id", async () => {
    const { agent, deliveryId } = await queuedWake();
    const { receiver, seen } = verifyingReceiver(agent.secret);
    const rid = `trace-${Date.now()}`;
    const { batch } = recordingBatch(WEBHOOKS_QUEUE, [
      { body: { delivery_id: deliveryId, request_id: rid }, attempts: 1 },
    ]);
    await handleQueue(batch, testEnv, { fetch: receiver, random: noJitter });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.ok).toBe(true); // the signature still verifies: the header is not part of it
    expect(seen[0]?.headers.get("X-MoltStack-Request-Id")).toBe(rid);
  });

  it("issue 24: a suspended agent's queued wakes are suppressed without a POST", async () => {
    const { agent, deliveryId } = await queuedWake();
    await asSystem((tx) => tx.update(agents).set({ status: "suspended" }).where(eq(agents.id, agent.id)));
    const { receiver, seen } = verifyingReceiver(agent.secret);
    expect((await runOnce(deliveryId, 1, receiver)).acked).toBe(true);
    expect(seen).toHaveLength(0);
    expect(await deliveryRow(deliveryId)).toMatchObject({ status: "suppressed", lastError: "the agent is suspended" });
  });

  it("is idempotent: a redelivered message of a delivered wake is acked without a second POST", async () => {
    const { agent, deliveryId } = await queuedWake();
    const { receiver, seen } = verifyingReceiver(agent.secret);
    expect((await runOnce(deliveryId, 1, receiver)).acked).toBe(true);
    expect((await runOnce(deliveryId, 2, receiver)).acked).toBe(true);
    expect(seen).toHaveLength(1);
    expect((await deliveryRow(deliveryId))?.attempts).toBe(1);
  });

  it("a failing receiver is retried with growing delays, every attempt recorded, then dead-lettered", async () => {
    const { deliveryId } = await queuedWake();
    let calls = 0;
    const failing = async () => {
      calls++;
      return new Response("boom", { status: 503 });
    };
    const delays: number[] = [];
    // Queues' attempts counter: 1 (first try) .. 4 (third retry); max_retries = 3 in wrangler.toml
    for (let attempt = 1; attempt <= 4; attempt++) {
      const rec = await runOnce(deliveryId, attempt, failing);
      expect(rec.acked).toBe(false);
      expect(rec.retried).not.toBeNull();
      delays.push(rec.retried?.delaySeconds ?? -1);
      expect(await deliveryRow(deliveryId)).toMatchObject({
        status: "retrying",
        attempts: attempt,
        lastStatusCode: 503,
        lastError: "receiver answered 503",
      });
    }
    expect(calls).toBe(4);
    expect(delays.slice(0, 3)).toEqual([15, 60, 240]);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1] ?? 0);

    // after the last retry Queues moves the message to the DLQ, whose consumer marks the row dead
    const dlq = await runOnce(deliveryId, 1, failing, WEBHOOKS_DLQ);
    expect(dlq.acked).toBe(true);
    expect(calls).toBe(4);
    const row = await deliveryRow(deliveryId);
    expect(row).toMatchObject({ status: "dead", attempts: 4, lastStatusCode: 503 });
    expect(row?.updatedAt.getTime()).toBeGreaterThanOrEqual(row?.createdAt.getTime() ?? 0);
  });

  it("the real Queues batch reports the retry", async () => {
    const { deliveryId } = await queuedWake();
    const batch = createMessageBatch(WEBHOOKS_QUEUE, [
      { id: "m-retry", timestamp: new Date(), attempts: 1, body: { delivery_id: deliveryId } },
    ]);
    const ctx = createExecutionContext();
    await handleQueue(batch, testEnv, { fetch: async () => new Response(null, { status: 500 }) });
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toEqual([{ msgId: "m-retry" }]);
    expect(result.explicitAcks).toEqual([]);
  });

  it("4xx other than 408/429 is not retried; 408 and 429 are (Retry-After honoured)", async () => {
    const gone = await queuedWake();
    const rec = await runOnce(gone.deliveryId, 1, async () => new Response(null, { status: 410 }));
    expect(rec).toEqual({ acked: true, retried: null });
    expect(await deliveryRow(gone.deliveryId)).toMatchObject({ status: "failed", attempts: 1, lastStatusCode: 410 });

    const slow = await queuedWake();
    const r408 = await runOnce(slow.deliveryId, 1, async () => new Response(null, { status: 408 }));
    expect(r408.retried).toEqual({ delaySeconds: 15 });

    const busy = await queuedWake();
    const r429 = await runOnce(
      busy.deliveryId,
      1,
      async () => new Response(null, { status: 429, headers: { "retry-after": "120" } }),
    );
    expect(r429.retried).toEqual({ delaySeconds: 120 });
    expect(await deliveryRow(busy.deliveryId)).toMatchObject({ status: "retrying", lastStatusCode: 429 });
  });

  it("a redirect is a failure and is never followed", async () => {
    const { deliveryId } = await queuedWake();
    const seen: Request[] = [];
    const rec = await runOnce(deliveryId, 1, async (r) => {
      seen.push(r);
      return new Response(null, { status: 307, headers: { location: "http://169.254.169.254/latest/meta-data" } });
    });
    expect(rec.acked).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.redirect).toBe("manual");
    expect(await deliveryRow(deliveryId)).toMatchObject({
      status: "failed",
      lastStatusCode: 307,
      lastError: "redirect (307) not followed",
    });
  });

  it("a URL that no longer passes the SSRF policy, or a removed webhook, fails without a POST", async () => {
    const a = await queuedWake();
    await asSystem((tx) =>
      tx.update(agentConfig).set({ webhookUrl: "https://10.0.0.5/hook" }).where(eq(agentConfig.agentId, a.agent.id)),
    );
    let calls = 0;
    const counting = async () => {
      calls++;
      return new Response(null, { status: 204 });
    };
    expect((await runOnce(a.deliveryId, 1, counting)).acked).toBe(true);
    expect(await deliveryRow(a.deliveryId)).toMatchObject({
      status: "failed",
      lastError: expect.stringMatching(/webhook URL refused: IP address in a non-public range/),
    });

    const b = await queuedWake();
    await asSystem((tx) =>
      tx.update(agentConfig).set({ webhookUrl: null, webhookSecret: null }).where(eq(agentConfig.agentId, b.agent.id)),
    );
    expect((await runOnce(b.deliveryId, 1, counting)).acked).toBe(true);
    expect(await deliveryRow(b.deliveryId)).toMatchObject({
      status: "failed",
      lastError: "the agent removed its webhook",
    });
    expect(calls).toBe(0);
  });

  it("suppressed, unknown and malformed messages are acked without a POST; unknown queues too", async () => {
    const muted = await queuedWake({ cap: 0 });
    let calls = 0;
    const counting = async () => {
      calls++;
      return new Response(null, { status: 204 });
    };
    expect((await runOnce(muted.deliveryId, 1, counting)).acked).toBe(true);
    expect((await deliveryRow(muted.deliveryId))?.status).toBe("suppressed");
    expect((await runOnce(crypto.randomUUID(), 1, counting)).acked).toBe(true);

    const { batch, records } = recordingBatch(WEBHOOKS_QUEUE, [
      { body: "nonsense", attempts: 1 },
      { body: { delivery_id: "not-a-uuid" }, attempts: 1 },
    ]);
    await handleQueue(batch, testEnv, { fetch: counting });
    expect(records.every((r) => r.acked)).toBe(true);

    const other = recordingBatch("some-other-queue", [{ body: { delivery_id: muted.deliveryId }, attempts: 1 }]);
    await handleQueue(other.batch, testEnv, { fetch: counting });
    expect(other.records[0]?.acked).toBe(true);
    expect(calls).toBe(0);
  });

  it("the DLQ never resurrects a final row", async () => {
    const { agent, deliveryId } = await queuedWake();
    await runOnce(deliveryId, 1, verifyingReceiver(agent.secret).receiver);
    expect((await runOnce(deliveryId, 1, async () => new Response(), WEBHOOKS_DLQ)).acked).toBe(true);
    expect((await deliveryRow(deliveryId))?.status).toBe("delivered");
  });

  it("real network round trip: a closed port on 127.0.0.1 is a retryable network error", async () => {
    const { deliveryId } = await queuedWake({ url: "http://127.0.0.1:1/hook" });
    const rec = await runOnce(deliveryId, 1, (r) => fetch(r));
    expect(rec.retried).toEqual({ delaySeconds: 15 });
    expect(await deliveryRow(deliveryId)).toMatchObject({
      status: "retrying",
      attempts: 1,
      lastStatusCode: null,
      lastError: expect.stringMatching(/network error|timed out/),
    });
  });
});
