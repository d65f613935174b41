// Scoped API keys for bench worlds (part mb), minted as worker/services/api-keys.ts createApiKey does:
// `ms_sk_` + 32 random bytes in base64url, stored as its SHA-256 (hex) with the first 10 characters as
// the listing prefix. Pure (node:crypto only) so the main test suite checks it against the service.
import crypto from "node:crypto";

/** A key: the secret the client sends, and the hash and prefix the database keeps. */
export function newKey() {
  const secret = `ms_sk_${crypto.randomBytes(32).toString("base64url")}`;
  return { secret, hash: crypto.createHash("sha256").update(secret).digest("hex"), prefix: secret.slice(0, 10) };
}
