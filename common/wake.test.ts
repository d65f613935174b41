import { describe, expect, it } from "vitest";
import { createAgent, testEnv } from "../test/helpers";
import { agentWithWebhook, deliveriesOf, deliveryRow, recordingQueue } from "../test/support/webhooks";
import { createDatabase } from "./db/client";
import { enqueueWake, underWakeCap, wakeEventFor, wakeOffline } from "./wake";

const from = { id: "0194a1b2-0000-7000-8000-0000000000dd", username: "sender" };
const channel = "0194a1b2-0000-7000-8000-0000000000bb";

async function wake(
  env: ReturnType<typeof recordingQueue>["env"],
  agentId: string,
  type: Parameters<typeof enqueueWake>[3]["type"],
) {
  const db = createDatabase(testEnv);
  try {
    return await enqueueWake(env, db, agentId, { type, channel_id: channel, message_id: crypto.randomUUID(), from });
  } finally {
    await db.close();
  }
}

describe("wakeEventFor", () => {
  it("maps personal events to webhook events; friend_accepted never wakes", () => {
    expect(wakeEventFor("dm")).toBe("dm.received");
    expect(wakeEventFor("mention")).toBe("mention.received");
    expect(wakeEventFor("reply")).toBe("reply.received");
    expect(wakeEventFor("friend_request")).toBe("friend_request.received");
    expect(wakeEventFor("friend_accepted")).toBeNull();
  });

  it("the cap is a strict upper bound", () => {
    expect(underWakeCap(0, 1)).toBe(true);
    expect(underWakeCap(1, 1)).toBe(false);
    expect(underWakeCap(0, 0)).toBe(false);
  });
});

describe("enqueueWake (offline agent)", () => {
  it("a DM and a mention each record a pending delivery and enqueue its id", async () => {
    const agent = await agentWithWebhook();
    const q = recordingQueue();
    const dm = await wake(q.env, agent.id, "dm.received");
    const mention = await wake(q.env, agent.id, "mention.received");
    expect(dm.status).toBe("queued");
    expect(mention.status).toBe("queued");
    if (dm.status !== "queued" || mention.status !== "queued") return;
    expect(q.sent).toEqual([{ delivery_id: dm.delivery_id }, { delivery_id: mention.delivery_id }]);
    const row = await deliveryRow(dm.delivery_id);
    expect(row).toMatchObject({ agentId: agent.id, eventType: "dm.received", status: "pending", attempts: 0 });
    expect(row?.payload).toMatchObject({
      id: dm.delivery_id,
      type: "dm.received",
      agent_id: agent.id,
      channel_id: channel,
      from,
    });
    expect(Object.keys(row?.payload as object).sort()).toEqual([
      "agent_id",
      "channel_id",
      "created_at",
      "from",
      "id",
      "message_id",
      "type",
    ]);
  });

  it("an event type the agent did not choose produces nothing", async () => {
    const agent = await agentWithWebhook({ events: ["dm.received"] });
    const q = recordingQueue();
    expect(await wake(q.env, agent.id, "mention.received")).toEqual({ status: "not_subscribed" });
    // friend requests are not in the default set either
    const byDefault = await agentWithWebhook();
    expect(await wake(q.env, byDefault.id, "friend_request.received")).toEqual({ status: "not_subscribed" });
    expect(q.sent).toEqual([]);
    expect(await deliveriesOf(agent.id)).toEqual([]);
  });

  it("an agent without a webhook (or without any config row) is not woken", async () => {
    const agent = await createAgent();
    const q = recordingQueue();
    expect(await wake(q.env, agent.id, "dm.received")).toEqual({ status: "no_webhook" });
    expect(q.sent).toEqual([]);
  });

  it("the hourly wake cap suppresses the excess and records it", async () => {
    const agent = await agentWithWebhook({ cap: 2 });
    const q = recordingQueue();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await wake(q.env, agent.id, "dm.received"));
    expect(results.map((r) => r.status)).toEqual(["queued", "queued", "suppressed", "suppressed"]);
    expect(q.sent).toHaveLength(2);
    const rows = await deliveriesOf(agent.id);
    expect(rows.filter((r) => r.status === "suppressed")).toHaveLength(2);
    expect(rows.find((r) => r.status === "suppressed")?.lastError).toMatch(/wake cap reached \(2 per hour\)/);
  });

  it("concurrent wakes never overshoot the cap", async () => {
    const agent = await agentWithWebhook({ cap: 3 });
    const q = recordingQueue();
    const results = await Promise.all(Array.from({ length: 8 }, () => wake(q.env, agent.id, "mention.received")));
    expect(results.filter((r) => r.status === "queued")).toHaveLength(3);
    expect(results.filter((r) => r.status === "suppressed")).toHaveLength(5);
  });

  it("a cap of 0 suppresses everything; a queue failure marks the row failed", async () => {
    const muted = await agentWithWebhook({ cap: 0 });
    expect((await wake(recordingQueue().env, muted.id, "dm.received")).status).toBe("suppressed");

    const agent = await agentWithWebhook();
    const r = await wake(recordingQueue({ fail: true }).env, agent.id, "dm.received");
    expect(r.status).toBe("enqueue_failed");
    if (r.status !== "enqueue_failed") return;
    expect(await deliveryRow(r.delivery_id)).toMatchObject({
      status: "failed",
      lastError: expect.stringMatching(/enqueue failed/),
    });
  });

  it("wakeOffline maps a personal event and wakes; friend_accepted and chatter-free agents never do", async () => {
    const agent = await agentWithWebhook({ events: ["dm.received", "friend_request.received"] });
    const q = recordingQueue();
    const env = { ...q.env, DATABASE_URL: testEnv.DATABASE_URL, NEON_WS_PROXY: testEnv.NEON_WS_PROXY };
    const at = new Date().toISOString();
    const dm = await wakeOffline(env, agent.id, { type: "dm", from, channel_id: channel, created_at: at });
    expect(dm?.status).toBe("queued");
    expect((await wakeOffline(env, agent.id, { type: "friend_request", from, created_at: at }))?.status).toBe("queued");
    expect(await wakeOffline(env, agent.id, { type: "friend_accepted", from, created_at: at })).toBeNull();
    expect((await wakeOffline(env, agent.id, { type: "mention", from, created_at: at }))?.status).toBe(
      "not_subscribed",
    );
    expect(q.sent).toHaveLength(2);
  });
});
