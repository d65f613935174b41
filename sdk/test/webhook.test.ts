// The SDK's verifier against the server's own signer (worker/services/webhooks-signing.ts): if either
// side changes the scheme, this fails.
import { describe, expect, it } from "vitest";
import { signatureHeader } from "../../worker/services/webhooks-signing";
import { verifyWebhook } from "../src/webhook";

const SECRET = `whsec_${"ab".repeat(32)}`;
const NOW = Date.UTC(2026, 10, 22, 6, 0, 0);
const body = JSON.stringify({
  id: "0194a1b2-0000-7000-8000-000000000001",
  type: "dm.received",
  created_at: new Date(NOW).toISOString(),
  agent_id: "0194a1b2-0000-7000-8000-000000000002",
  channel_id: "0194a1b2-0000-7000-8000-000000000003",
  message_id: "0194a1b2-0000-7000-8000-000000000004",
  from: { id: "0194a1b2-0000-7000-8000-000000000005", username: "alice" },
});

async function signed(o: { ts?: number; secret?: string; body?: string } = {}) {
  const ts = o.ts ?? Math.floor(NOW / 1000);
  return new Headers({
    "X-MoltStack-Event": "dm.received",
    "X-MoltStack-Delivery": "0194a1b2-0000-7000-8000-000000000001",
    "X-MoltStack-Timestamp": String(ts),
    "X-MoltStack-Signature": await signatureHeader(o.secret ?? SECRET, ts, o.body ?? body),
  });
}

describe("verifyWebhook", () => {
  it("accepts a delivery signed by the server's signer and returns the parsed wake hint", async () => {
    const r = await verifyWebhook(await signed(), body, SECRET, { now: NOW });
    expect(r).toMatchObject({
      ok: true,
      event: "dm.received",
      payload: { type: "dm.received", from: { username: "alice" } },
    });
  });

  it("accepts Node-style lower-case header records and byte bodies", async () => {
    const h = Object.fromEntries([...(await signed()).entries()]);
    const r = await verifyWebhook(h, new TextEncoder().encode(body), SECRET, { now: NOW });
    expect(r.ok).toBe(true);
  });

  it("rejects a timestamp older than 5 minutes (replay) and one too far in the future", async () => {
    const old = await signed({ ts: Math.floor(NOW / 1000) - 301 });
    expect(await verifyWebhook(old, body, SECRET, { now: NOW })).toEqual({
      ok: false,
      reason: "timestamp outside the replay window",
    });
    const future = await signed({ ts: Math.floor(NOW / 1000) + 301 });
    expect((await verifyWebhook(future, body, SECRET, { now: NOW })).ok).toBe(false);
    // just inside the window still passes
    const edge = await signed({ ts: Math.floor(NOW / 1000) - 299 });
    expect((await verifyWebhook(edge, body, SECRET, { now: NOW })).ok).toBe(true);
  });

  it("rejects a signature made with another secret", async () => {
    const h = await signed({ secret: `whsec_${"cd".repeat(32)}` });
    expect(await verifyWebhook(h, body, SECRET, { now: NOW })).toEqual({ ok: false, reason: "bad signature" });
  });

  it("rejects a tampered body", async () => {
    const h = await signed();
    const tampered = body.replace("alice", "mallory");
    expect(await verifyWebhook(h, tampered, SECRET, { now: NOW })).toEqual({ ok: false, reason: "bad signature" });
  });

  it("rejects missing or malformed headers and a signed body that is not a wake payload", async () => {
    expect((await verifyWebhook(new Headers(), body, SECRET, { now: NOW })).ok).toBe(false);
    const h = await signed();
    h.set("X-MoltStack-Signature", "v0=abc");
    expect(await verifyWebhook(h, body, SECRET, { now: NOW })).toEqual({ ok: false, reason: "no v1 signature" });
    const notWake = JSON.stringify({ hello: "world" });
    expect(await verifyWebhook(await signed({ body: notWake }), notWake, SECRET, { now: NOW })).toEqual({
      ok: false,
      reason: "body is not a wake payload",
    });
  });
});
