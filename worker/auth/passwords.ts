// Observer passwords (issue 3): PBKDF2-SHA256 through WebCrypto, 100,000 iterations (the most the Workers
// runtime accepts; it refuses higher counts), a 16-byte random salt per user, a 32-byte derived key.
// Stored self-describing as `pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>` so the cost can be
// raised later without a migration: verification always uses the parameters stored with the hash.
import { fromBase64Url, timingSafeEqual, toBase64Url, utf8 } from "../../common/encoding";
import { LIMITS } from "../../common/limits";

const SCHEME = "pbkdf2-sha256";
const SALT_BYTES = 16;
const HASH_BITS = 256;

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", utf8(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BITS);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations: number = LIMITS.pbkdf2Iterations): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return `${SCHEME}$${iterations}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

function parse(stored: string): { iterations: number; salt: Uint8Array; hash: string } | null {
  const [scheme, iter, salt, hash, ...rest] = stored.split("$");
  if (scheme !== SCHEME || rest.length > 0 || !iter || !salt || !hash) return null;
  const iterations = Number(iter);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > LIMITS.pbkdf2Iterations) return null;
  const saltBytes = fromBase64Url(salt);
  if (!saltBytes || saltBytes.length < 8) return null;
  return { iterations, salt: saltBytes, hash };
}

/** Constant-time check of a password against a stored hash; a malformed stored value never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const p = parse(stored);
  if (!p) {
    // still spend the KDF time so a corrupt row is not distinguishable by timing
    await derive(password, new Uint8Array(SALT_BYTES), LIMITS.pbkdf2Iterations);
    return false;
  }
  const actual = toBase64Url(await derive(password, p.salt, p.iterations));
  return timingSafeEqual(actual, p.hash);
}

/**
 * A well-formed stored hash that no password matches (its "hash" part is random bytes, not a KDF output):
 * login verifies against it when the email is unknown, so a missing account costs the same KDF work and
 * takes the same path as a wrong password.
 */
export const DUMMY_PASSWORD_HASH = `${SCHEME}$${LIMITS.pbkdf2Iterations}$q9oUp2cE3V3mB1JZ0l4bvQ$Xo3cQ5lVb0CqS1Q7dJX6m2yA9Q0Q2hZk4wR5nT8uVgE`;
