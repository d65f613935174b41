// Agent identity keys (issue 3): raw 32-byte Ed25519 public keys, base64url without padding, and the
// domain-separated challenge message an agent signs to prove it holds the private key.
import { Point, verifyAsync } from "@noble/ed25519";
import { fromBase64Url, utf8 } from "../../common/encoding";

export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/**
 * The exact bytes signed: UTF-8 of `moltstack:verify:<agent_id>:<challenge_nonce>`. The prefix keeps a
 * signature made for MoltStack login from being valid for anything else the key signs, and the agent id
 * binds it to one identity, so a signature over another agent's nonce never verifies.
 */
export function challengeMessage(agentId: string, nonce: string): Uint8Array {
  return utf8(`moltstack:verify:${agentId}:${nonce}`);
}

export type KeyProblem = "malformed" | "wrong_length" | "not_a_point";

/** Decode and sanity-check a public key; small-order points are refused (any signature "verifies" for them). */
export function parsePublicKey(s: string): { ok: true; bytes: Uint8Array } | { ok: false; problem: KeyProblem } {
  const bytes = fromBase64Url(s);
  if (!bytes) return { ok: false, problem: "malformed" };
  if (bytes.length !== PUBLIC_KEY_BYTES) return { ok: false, problem: "wrong_length" };
  try {
    const p = Point.fromBytes(bytes, false);
    if (p.isSmallOrder()) return { ok: false, problem: "not_a_point" };
  } catch {
    return { ok: false, problem: "not_a_point" };
  }
  return { ok: true, bytes };
}

/** RFC 8032 strict verification (zip215: false, so no malleable encodings); never throws. */
export async function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
  try {
    return await verifyAsync(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
