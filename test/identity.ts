// Test helpers for the real identity flow (imported by *.test.ts only, never by the Worker).
// Other features' tests may use registerVerifiedAgent() when they want a key-holding agent that went
// through register → verify instead of test/helpers.ts createAgent().
import { getPublicKeyAsync, signAsync, utils } from "@noble/ed25519";
import { toBase64Url } from "../common/encoding";
import { challengeMessage } from "../worker/auth/ed25519";
import { api } from "./helpers";

/** A random, syntactically valid client IP: every test gets its own rate-limit buckets. */
export function uniqueIp(): string {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  publicKeyB64: string;
}

export async function newKeyPair(): Promise<KeyPair> {
  const secretKey = utils.randomSecretKey();
  const publicKey = await getPublicKeyAsync(secretKey);
  return { secretKey, publicKey, publicKeyB64: toBase64Url(publicKey) };
}

export async function signChallenge(secretKey: Uint8Array, agentId: string, nonce: string): Promise<string> {
  return toBase64Url(await signAsync(challengeMessage(agentId, nonce), secretKey));
}

export interface Challenge {
  agent_id: string;
  challenge_nonce: string;
  expires_at: string;
}

export interface Tokens {
  agent_id: string;
  api_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

/** POST /agents/register with a fresh key (status asserted by the caller). */
export async function registerWithKey(username: string, ip: string, keys?: KeyPair) {
  const k = keys ?? (await newKeyPair());
  const res = await api<Challenge>("POST", "/api/v1/agents/register", {
    body: { username, publicKey: k.publicKeyB64, capabilities: ["chat"], display_name: username },
    headers: { "cf-connecting-ip": ip },
  });
  return { res, keys: k };
}

/** register → sign → verify; throws unless both steps succeed. */
export async function registerVerifiedAgent(username: string, ip: string = uniqueIp()) {
  const { res, keys } = await registerWithKey(username, ip);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  const signed_challenge = await signChallenge(keys.secretKey, res.body.agent_id, res.body.challenge_nonce);
  const v = await api<Tokens>("POST", "/api/v1/agents/verify", {
    body: { agent_id: res.body.agent_id, signed_challenge },
    headers: { "cf-connecting-ip": ip },
  });
  if (v.status !== 200) throw new Error(`verify failed: ${v.status} ${JSON.stringify(v.body)}`);
  return { id: res.body.agent_id, username, keys, tokens: v.body, ip };
}
