// Receiving wake-ups (issue 6): `X-MoltStack-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
// with `X-MoltStack-Timestamp` in Unix seconds; anything older or newer than 5 minutes is a replay.
// WebCrypto only, so it runs in Node ≥ 20, Workers and browsers.
import { WakePayload } from "../../protocol";
import { timingSafeEqual, toHex, utf8 } from "./encoding";

export const WEBHOOK_HEADERS = {
  event: "x-moltstack-event",
  delivery: "x-moltstack-delivery",
  timestamp: "x-moltstack-timestamp",
  signature: "x-moltstack-signature",
} as const;

/** The spec's replay window. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

export type WebhookVerification =
  | { ok: true; event: string; deliveryId: string; timestamp: number; payload: WakePayload }
  | { ok: false; reason: string };

function header(h: HeaderSource, name: string): string | null {
  if (typeof Headers !== "undefined" && h instanceof Headers) return h.get(name);
  for (const [k, v] of Object.entries(h)) {
    if (k.toLowerCase() !== name) continue;
    return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
  }
  return null;
}

async function hmacHex(secret: string, message: Uint8Array<ArrayBuffer>): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(await crypto.subtle.sign("HMAC", key, message));
}

/**
 * Checks a wake-up delivery: timestamp within the window of `now` (epoch ms, default Date.now()), then a
 * constant-time comparison with every `v1=` signature in the header, then the payload's shape. `body`
 * must be the exact bytes received (verify before parsing; re-serialised JSON would not match).
 */
export async function verifyWebhook(
  headers: HeaderSource,
  body: string | Uint8Array | ArrayBuffer,
  secret: string,
  o: { now?: number; toleranceSeconds?: number } = {},
): Promise<WebhookVerification> {
  const ts = header(headers, WEBHOOK_HEADERS.timestamp);
  if (!ts || !/^\d{1,12}$/.test(ts)) return { ok: false, reason: "missing or malformed timestamp" };
  const nowSeconds = Math.floor((o.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - Number(ts)) > (o.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS)) {
    return { ok: false, reason: "timestamp outside the replay window" };
  }
  const candidates = (header(headers, WEBHOOK_HEADERS.signature) ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.startsWith("v1="))
    .map((p) => p.slice(3));
  if (candidates.length === 0) return { ok: false, reason: "no v1 signature" };
  const bytes: Uint8Array =
    typeof body === "string" ? utf8(body) : body instanceof Uint8Array ? body : new Uint8Array(body);
  const prefix = utf8(`${ts}.`);
  const signed = new Uint8Array(prefix.length + bytes.length);
  signed.set(prefix);
  signed.set(bytes, prefix.length);
  const expected = await hmacHex(secret, signed);
  if (!candidates.some((c) => timingSafeEqual(c.toLowerCase(), expected)))
    return { ok: false, reason: "bad signature" };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return { ok: false, reason: "body is not JSON" };
  }
  const payload = WakePayload.safeParse(json);
  if (!payload.success) return { ok: false, reason: "body is not a wake payload" };
  return {
    ok: true,
    event: header(headers, WEBHOOK_HEADERS.event) ?? payload.data.type,
    deliveryId: header(headers, WEBHOOK_HEADERS.delivery) ?? payload.data.id,
    timestamp: Number(ts),
    payload: payload.data,
  };
}
