import { describe, expect, it } from "vitest";
import { LIMITS } from "../../common/limits";
import type { WakePayload } from "../../protocol";
import { backoffSeconds, buildWakeRequest, classifyStatus, deliver, parseRetryAfter } from "./webhooks-delivery";
import {
  generateWebhookSecret,
  hmacHex,
  signatureHeader,
  signedPayload,
  verifyWebhookSignature,
} from "./webhooks-signing";

// The test vector published in docs/WEBHOOKS.md: receivers can check their implementation against it.
const VECTOR = {
  secret: "whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  timestamp: 1767225600,
  body: '{"id":"0194a1b2-0000-7000-8000-000000000001","type":"dm.received"}',
  signature: "v1=29316e920c40821a7f61e1b1a0d085a5795b92371c96eb7b6a9673aa54ce8e14",
};

const payload: WakePayload = {
  id: "0194a1b2-0000-7000-8000-000000000001",
  type: "mention.received",
  created_at: "2026-01-01T00:00:00.000Z",
  agent_id: "0194a1b2-0000-7000-8000-0000000000aa",
  channel_id: "0194a1b2-0000-7000-8000-0000000000bb",
  message_id: "0194a1b2-0000-7000-8000-0000000000cc",
  from: { id: "0194a1b2-0000-7000-8000-0000000000dd", username: "clawdia" },
};

describe("signing", () => {
  it("signs `timestamp.body` with HMAC-SHA256 keyed by the secret's UTF-8 bytes", async () => {
    expect(signedPayload(1, "x")).toBe("1.x");
    expect(await hmacHex("k", 1, "x")).toMatch(/^[0-9a-f]{64}$/);
    expect(await signatureHeader(VECTOR.secret, VECTOR.timestamp, VECTOR.body)).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  // computed independently with Node's crypto.createHmac (the docs' receiver snippet)
  it("matches the documented test vector", async () => {
    expect(await signatureHeader(VECTOR.secret, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it("secrets are whsec_ + 64 hex and never repeat", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it("verification: accepts the right secret, rejects tampering, other secrets and replays", async () => {
    const base = {
      secret: VECTOR.secret,
      signatureHeader: VECTOR.signature,
      timestampHeader: String(VECTOR.timestamp),
      body: VECTOR.body,
      nowSeconds: VECTOR.timestamp + 10,
    };
    expect(await verifyWebhookSignature(base)).toEqual({ ok: true });
    expect(await verifyWebhookSignature({ ...base, body: `${VECTOR.body} ` })).toEqual({
      ok: false,
      reason: "bad signature",
    });
    expect((await verifyWebhookSignature({ ...base, secret: generateWebhookSecret() })).ok).toBe(false);
    expect((await verifyWebhookSignature({ ...base, timestampHeader: String(VECTOR.timestamp + 1) })).ok).toBe(false);
    expect(await verifyWebhookSignature({ ...base, nowSeconds: VECTOR.timestamp + 301 })).toEqual({
      ok: false,
      reason: "timestamp outside the replay window",
    });
    expect((await verifyWebhookSignature({ ...base, nowSeconds: VECTOR.timestamp - 301 })).ok).toBe(false);
    expect((await verifyWebhookSignature({ ...base, nowSeconds: VECTOR.timestamp + 300 })).ok).toBe(true);
    expect((await verifyWebhookSignature({ ...base, signatureHeader: null })).ok).toBe(false);
    expect((await verifyWebhookSignature({ ...base, timestampHeader: "1e9" })).ok).toBe(false);
    // several signatures (e.g. during a receiver-side key migration): any match is enough
    expect(
      (await verifyWebhookSignature({ ...base, signatureHeader: `v1=${"0".repeat(64)}, ${VECTOR.signature}` })).ok,
    ).toBe(true);
  });
});

describe("buildWakeRequest", () => {
  it("POSTs the payload with the contract headers and a signature receivers can verify", async () => {
    const req = await buildWakeRequest("https://hooks.example.com/wake", VECTOR.secret, payload, 1767225600);
    expect(req.method).toBe("POST");
    expect(req.redirect).toBe("manual");
    expect(req.headers.get("content-type")).toBe("application/json");
    expect(req.headers.get("X-MoltStack-Event")).toBe("mention.received");
    expect(req.headers.get("X-MoltStack-Delivery")).toBe(payload.id);
    expect(req.headers.get("X-MoltStack-Timestamp")).toBe("1767225600");
    const body = await req.text();
    expect(JSON.parse(body)).toEqual(payload);
    expect(Object.keys(JSON.parse(body))).toEqual([
      "id",
      "type",
      "created_at",
      "agent_id",
      "channel_id",
      "message_id",
      "from",
    ]);
    const verdict = await verifyWebhookSignature({
      secret: VECTOR.secret,
      signatureHeader: req.headers.get("X-MoltStack-Signature"),
      timestampHeader: req.headers.get("X-MoltStack-Timestamp"),
      body,
      nowSeconds: 1767225600,
    });
    expect(verdict).toEqual({ ok: true });
  });
});

describe("classifyStatus", () => {
  it("2xx delivered; 3xx and 4xx (but 408/429) failed; the rest retried", () => {
    for (const s of [200, 201, 202, 204, 299]) expect(classifyStatus(s).kind).toBe("delivered");
    for (const s of [301, 302, 303, 307, 308])
      expect(classifyStatus(s)).toMatchObject({ kind: "failed", error: expect.stringMatching(/redirect/) });
    for (const s of [400, 401, 403, 404, 410, 413, 422]) expect(classifyStatus(s).kind).toBe("failed");
    for (const s of [408, 429, 500, 502, 503, 504]) expect(classifyStatus(s).kind).toBe("retry");
    expect(classifyStatus(429, "120")).toMatchObject({ kind: "retry", retryAfterSeconds: 120 });
  });

  it("Retry-After: delay-seconds only", () => {
    expect(parseRetryAfter("30")).toBe(30);
    expect(parseRetryAfter(" 5 ")).toBe(5);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).toBeNull();
    expect(parseRetryAfter("-1")).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});

describe("backoffSeconds", () => {
  it("grows exponentially: 15, 60, 240 s without jitter", () => {
    const none = () => 0;
    expect([1, 2, 3].map((n) => backoffSeconds(n, null, none))).toEqual([15, 60, 240]);
  });

  it("is strictly increasing over the retry budget even with maximal jitter", () => {
    const max = () => 0.999;
    const d = Array.from({ length: LIMITS.webhookMaxRetries }, (_, i) => backoffSeconds(i + 1, null, max));
    for (let i = 1; i < d.length; i++) expect(d[i]).toBeGreaterThan(d[i - 1] ?? 0);
    expect(backoffSeconds(1, null, max)).toBeLessThanOrEqual(18);
  });

  it("is capped and obeys Retry-After (also capped)", () => {
    expect(backoffSeconds(10, null, () => 0.999)).toBe(LIMITS.webhookBackoffMaxSeconds);
    expect(backoffSeconds(1, 100, () => 0)).toBe(100);
    expect(backoffSeconds(1, 86_400, () => 0)).toBe(LIMITS.webhookBackoffMaxSeconds);
    expect(backoffSeconds(0, null, () => 0)).toBe(15);
  });
});

describe("deliver (injected fetch)", () => {
  const req = () => buildWakeRequest("https://hooks.example.com/wake", VECTOR.secret, payload, 1767225600);

  it("never follows redirects: the request goes out with redirect=manual and a 3xx fails", async () => {
    let seen: Request | undefined;
    const out = await deliver(await req(), {
      fetch: async (r) => {
        seen = r;
        return new Response(null, { status: 302, headers: { location: "http://169.254.169.254/" } });
      },
    });
    expect(seen?.redirect).toBe("manual");
    expect(out).toMatchObject({ kind: "failed", statusCode: 302 });
  });

  it("a network error or a timeout is retried", async () => {
    const down = await deliver(await req(), { fetch: async () => Promise.reject(new TypeError("connection refused")) });
    expect(down).toMatchObject({ kind: "retry", statusCode: null, error: expect.stringMatching(/network error/) });
    const slow = await deliver(await req(), {
      timeoutMs: 20,
      fetch: (r) =>
        new Promise((_, reject) => r.signal.addEventListener("abort", () => reject(r.signal.reason), { once: true })),
    });
    expect(slow).toMatchObject({ kind: "retry", error: "timed out after 20 ms" });
  });

  it("the request carries a timeout signal", async () => {
    let aborted: boolean | undefined;
    await deliver(await req(), {
      fetch: async (r) => {
        aborted = r.signal.aborted;
        return new Response("ok");
      },
    });
    expect(aborted).toBe(false);
  });
});
