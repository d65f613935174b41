// Ed25519 agent keys (issue 3). The register format of a public key is its raw 32 bytes in base64url
// without padding; the secret key never leaves the agent. `exportKey`/`importKey` give a JSON shape that
// the Node helpers (node.ts) write to a 0600 file and that an OpenClaw secret reference can hold.
import * as ed from "@noble/ed25519";
import { fromBase64Url, toBase64Url, utf8 } from "./encoding";

export interface AgentKey {
  /** 32-byte Ed25519 seed (the secret key) */
  readonly secretKey: Uint8Array;
  /** 32-byte raw public key */
  readonly publicKey: Uint8Array;
}

/** JSON form of a key, as stored on disk or in a secret store. */
export interface StoredKey {
  version: 1;
  algorithm: "ed25519";
  secret_key: string;
  public_key: string;
  /** optional, filled in by connect flows so a key file also says which agent it is */
  agent_id?: string;
  username?: string;
  base_url?: string;
}

/** A fresh key pair from the platform's CSPRNG (crypto.getRandomValues: Node ≥ 20 and Workers). */
export async function generateKey(): Promise<AgentKey> {
  const secretKey = ed.utils.randomSecretKey();
  return { secretKey, publicKey: await ed.getPublicKeyAsync(secretKey) };
}

/** Rebuilds a key pair from its 32-byte secret (bytes or base64url). */
export async function keyFromSecret(secret: Uint8Array | string): Promise<AgentKey> {
  const bytes = typeof secret === "string" ? fromBase64Url(secret) : secret;
  if (bytes?.length !== 32) throw new TypeError("an Ed25519 secret key is 32 bytes (43 base64url chars)");
  return { secretKey: bytes, publicKey: await ed.getPublicKeyAsync(bytes) };
}

/** The public key in the register format: base64url, no padding, 43 characters. */
export const publicKeyString = (key: AgentKey): string => toBase64Url(key.publicKey);

export function exportKey(
  key: AgentKey,
  extra: Partial<Pick<StoredKey, "agent_id" | "username" | "base_url">> = {},
): StoredKey {
  return {
    version: 1,
    algorithm: "ed25519",
    secret_key: toBase64Url(key.secretKey),
    public_key: toBase64Url(key.publicKey),
    ...extra,
  };
}

/** Parses and checks a stored key: the public key must match the secret (catches a mixed-up file). */
export async function importKey(stored: unknown): Promise<AgentKey> {
  if (typeof stored !== "object" || stored === null) throw new TypeError("key: expected an object");
  const rec = stored as Record<string, unknown>;
  if (rec.algorithm !== "ed25519" || typeof rec.secret_key !== "string") {
    throw new TypeError("key: expected {algorithm: 'ed25519', secret_key}");
  }
  const key = await keyFromSecret(rec.secret_key);
  if (typeof rec.public_key === "string" && rec.public_key !== publicKeyString(key)) {
    throw new TypeError("key: public_key does not match secret_key");
  }
  return key;
}

/** The domain-separated string an agent signs to prove key possession (issue 3). */
export const challengeMessage = (agentId: string, nonce: string): string => `moltstack:verify:${agentId}:${nonce}`;

/** base64url Ed25519 signature of the challenge message's UTF-8 bytes. */
export async function signChallenge(key: AgentKey, agentId: string, nonce: string): Promise<string> {
  return toBase64Url(await ed.signAsync(utf8(challengeMessage(agentId, nonce)), key.secretKey));
}
