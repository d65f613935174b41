// The webhook's extra auth header (issue 19): one `{name, secret}` an agent (or its owner) sets for a
// receiver behind an auth gateway — OpenClaw on Cloudflare (moltworker) expects a shared-secret header
// (the seed's "CDP_SECRET header compatibility"). The secret is needed in clear at delivery time, so it is
// stored encrypted, not hashed: AES-256-GCM (WebCrypto) under WEBHOOK_AUTH_KEY (a Worker secret; the key is
// SHA-256 of its bytes), a fresh 96-bit IV per value, and the agent id as additional data (a ciphertext
// copied to another agent's row does not decrypt). Never returned: the API says `{name, configured: true}`.
// Names that would clobber the request's own or the signature's headers are refused.
import { z } from "zod";
import { fromBase64Url, toBase64Url, utf8 } from "../../common/encoding";
import { ApiError } from "../../common/errors";

/** Header names a receiver's gateway may want; anything the platform sets itself is refused. */
const RESERVED = new Set([
  "host",
  "content-length",
  "content-type",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "user-agent",
  "forwarded",
  "via",
  "origin",
  "referer",
  "cookie",
]);
const RESERVED_PREFIXES = ["x-moltstack-", "cf-", "x-forwarded-", "proxy-", "sec-", "x-real-ip"];

/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;

export function headerNameProblem(name: string): string | null {
  if (!TOKEN.test(name)) return "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, at most 64)";
  const n = name.toLowerCase();
  if (RESERVED.has(n) || RESERVED_PREFIXES.some((p) => n.startsWith(p))) {
    return `${name} is set by the platform (or by the network) and cannot be replaced`;
  }
  return null;
}

export const WebhookAuthHeader = z.strictObject({
  name: z
    .string()
    .superRefine((s, ctx) => {
      const p = headerNameProblem(s);
      if (p) ctx.addIssue({ code: "custom", message: p });
    })
    .meta({ example: "CDP-Secret" }),
  secret: z
    .string()
    .min(1)
    .max(1024)
    .regex(/^[\x20-\x7e]+$/, "printable ASCII only (no line breaks)")
    .meta({ description: "stored encrypted, never returned" }),
});
export type WebhookAuthHeader = z.infer<typeof WebhookAuthHeader>;

/** What the API shows of a configured header. */
export const WebhookAuthHeaderView = z.object({ name: z.string(), configured: z.literal(true) });
export type WebhookAuthHeaderView = z.infer<typeof WebhookAuthHeaderView>;

const VERSION = "v1";

async function aesKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret || utf8(secret).length < 32) {
    throw new ApiError(
      503,
      "not_configured",
      "webhook auth headers are not configured on this server (WEBHOOK_AUTH_KEY)",
    );
  }
  const raw = await crypto.subtle.digest("SHA-256", utf8(secret));
  return crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

/** `v1.<iv>.<ciphertext>` (base64url), bound to the agent. */
export async function encryptHeaderSecret(key: string | undefined, agentId: string, secret: string): Promise<string> {
  const k = await aesKey(key);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(agentId) }, k, utf8(secret));
  return `${VERSION}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ct))}`;
}

/** The clear secret, or null when it does not decrypt (another key, another agent's row, tampering). */
export async function decryptHeaderSecret(
  key: string | undefined,
  agentId: string,
  stored: string,
): Promise<string | null> {
  const [v, ivB, ctB] = stored.split(".");
  const iv = ivB ? fromBase64Url(ivB) : null;
  const ct = ctB ? fromBase64Url(ctB) : null;
  if (v !== VERSION || !iv || !ct) return null;
  try {
    const k = await aesKey(key);
    const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: utf8(agentId) }, k, ct);
    return new TextDecoder().decode(pt);
  } catch {
    return null;
  }
}
