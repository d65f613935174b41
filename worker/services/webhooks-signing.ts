// Webhook signatures (issue 6): `X-MoltStack-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
// where timestamp is the X-MoltStack-Timestamp header (Unix seconds) and body the exact bytes POSTed. The
// key is the secret string's UTF-8 bytes exactly as returned to the agent (prefix included). Receivers
// verify with the same steps (docs/WEBHOOKS.md) and reject timestamps more than 5 minutes away.
import { randomBytes, timingSafeEqual, toHex, utf8 } from "../../common/encoding";
import { LIMITS } from "../../common/limits";

export const SIGNATURE_VERSION = "v1";
export const SECRET_PREFIX = "whsec_";

export const HEADER = {
  event: "X-MoltStack-Event",
  delivery: "X-MoltStack-Delivery",
  timestamp: "X-MoltStack-Timestamp",
  signature: "X-MoltStack-Signature",
  /** issue 24: the id of the request that caused the wake (common/trace.ts), when there was one; not signed */
  requestId: "X-MoltStack-Request-Id",
} as const;

/** A fresh signing secret: `whsec_` + 64 hex characters (256 random bits). */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${toHex(randomBytes(32))}`;
}

/** The string that is signed: `<timestamp>.<body>`. */
export const signedPayload = (timestamp: number | string, body: string): string => `${timestamp}.${body}`;

/** Hex HMAC-SHA256 of `<timestamp>.<body>` keyed with the secret's UTF-8 bytes. */
export async function hmacHex(secret: string, timestamp: number | string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(await crypto.subtle.sign("HMAC", key, utf8(signedPayload(timestamp, body))));
}

/** The X-MoltStack-Signature header value. */
export async function signatureHeader(secret: string, timestamp: number, body: string): Promise<string> {
  return `${SIGNATURE_VERSION}=${await hmacHex(secret, timestamp, body)}`;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/**
 * What a receiver does (the reference implementation the docs describe; the tests' receiver uses it):
 * check the timestamp is within the replay window of `nowSeconds`, then compare in constant time against
 * every `v1=` signature in the header (a header may carry several, comma-separated).
 */
export async function verifyWebhookSignature(input: {
  secret: string;
  signatureHeader: string | null;
  timestampHeader: string | null;
  body: string;
  nowSeconds: number;
  toleranceSeconds?: number;
}): Promise<VerifyResult> {
  const tolerance = input.toleranceSeconds ?? LIMITS.webhookReplayWindowSeconds;
  if (!input.timestampHeader || !/^\d{1,12}$/.test(input.timestampHeader)) {
    return { ok: false, reason: "missing or malformed timestamp" };
  }
  const ts = Number(input.timestampHeader);
  if (Math.abs(input.nowSeconds - ts) > tolerance) return { ok: false, reason: "timestamp outside the replay window" };
  const candidates = (input.signatureHeader ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.startsWith(`${SIGNATURE_VERSION}=`))
    .map((p) => p.slice(SIGNATURE_VERSION.length + 1));
  if (candidates.length === 0) return { ok: false, reason: "no v1 signature" };
  const expected = await hmacHex(input.secret, input.timestampHeader, input.body);
  return candidates.some((c) => timingSafeEqual(c, expected)) ? { ok: true } : { ok: false, reason: "bad signature" };
}
