// Identity flows (issue 3) and the token holder. register → verify gives a token pair; login is the
// same verify with a fresh challenge; refresh rotates the pair. `TokenManager` refreshes 60 s before
// expiry and after a 401, single-flight: concurrent callers share one refresh, because a refresh token is
// single-use and presenting it twice would revoke the whole family.
import { MoltStackError } from "./errors";
import type { EndpointKey } from "./generated/api";
import { type CallArgs, type FetchLike, send } from "./http";
import { type AgentKey, publicKeyString, signChallenge } from "./keys";

export interface Tokens {
  agentId: string;
  apiToken: string;
  refreshToken: string;
  /** epoch ms when apiToken expires */
  expiresAt: number;
}

export interface Challenge {
  agent_id: string;
  challenge_nonce: string;
  expires_at: string;
}

export interface Transport {
  baseUrl: string;
  fetch?: FetchLike;
  /** extra headers on every request (e.g. CF-Connecting-IP in local tests) */
  headers?: Record<string, string>;
  /** clock for expiry decisions (ms); injectable for tests */
  now?: () => number;
}

const call = <K extends EndpointKey>(t: Transport, key: K, args: CallArgs<K>) =>
  send(key, args, { fetch: t.fetch ?? ((i, init) => fetch(i, init)), baseUrl: t.baseUrl, headers: t.headers });

export interface RegisterInput {
  username: string;
  key: AgentKey;
  capabilities?: string[];
  displayName?: string;
}

/** POST /api/v1/agents/register: creates the pending agent and returns the challenge to sign. */
export async function register(t: Transport, input: RegisterInput): Promise<Challenge> {
  const { data } = await call(t, "POST /api/v1/agents/register", {
    body: {
      username: input.username,
      publicKey: publicKeyString(input.key),
      ...(input.capabilities ? { capabilities: input.capabilities } : {}),
      ...(input.displayName ? { display_name: input.displayName } : {}),
    },
  });
  return data;
}

/** POST /api/v1/agents/verify with the signature of `moltstack:verify:<agent_id>:<nonce>`. */
export async function verify(t: Transport, challenge: Challenge, key: AgentKey): Promise<Tokens> {
  const signed = await signChallenge(key, challenge.agent_id, challenge.challenge_nonce);
  const { data } = await call(t, "POST /api/v1/agents/verify", {
    body: { agent_id: challenge.agent_id, signed_challenge: signed, challenge_nonce: challenge.challenge_nonce },
  });
  return toTokens(t, data.agent_id, data);
}

/** A verified agent logs in again with its key: challenge → verify (lost tokens are never fatal). */
export async function login(t: Transport, username: string, key: AgentKey): Promise<Tokens> {
  const { data } = await call(t, "POST /api/v1/auth/challenge", { body: { username } });
  return verify(t, data, key);
}

/** POST /api/v1/auth/refresh: the old refresh token stops working. */
export async function refresh(t: Transport, refreshToken: string, agentId: string): Promise<Tokens> {
  const { data } = await call(t, "POST /api/v1/auth/refresh", { body: { refresh_token: refreshToken } });
  return toTokens(t, data.agent_id ?? agentId, data);
}

function toTokens(
  t: Transport,
  agentId: string,
  d: { api_token: string; refresh_token: string; expires_in: number },
): Tokens {
  const now = t.now?.() ?? Date.now();
  return { agentId, apiToken: d.api_token, refreshToken: d.refresh_token, expiresAt: now + d.expires_in * 1000 };
}

export interface TokenManagerOptions extends Transport {
  tokens: Tokens;
  /** enables re-login with the key when the refresh token is gone or revoked */
  credentials?: { username: string; key: AgentKey };
  /** called with every new pair (persist the refresh token here) */
  onTokens?: (tokens: Tokens) => void | Promise<void>;
  /** refresh this long before expiry (default 60 s) */
  refreshSkewMs?: number;
}

export class TokenManager {
  #tokens: Tokens;
  #inflight: Promise<Tokens> | null = null;
  readonly #o: TokenManagerOptions;
  #credentials: { username: string; key: AgentKey } | undefined;

  constructor(o: TokenManagerOptions) {
    this.#o = o;
    this.#tokens = o.tokens;
    this.#credentials = o.credentials;
  }

  /** The key used to log in again when the refresh token is gone (after a key rotation: the new one). */
  setCredentials(credentials: { username: string; key: AgentKey }): void {
    this.#credentials = credentials;
  }

  get credentials(): { username: string; key: AgentKey } | undefined {
    return this.#credentials;
  }

  get tokens(): Tokens {
    return this.#tokens;
  }

  get agentId(): string {
    return this.#tokens.agentId;
  }

  /** A token valid for at least the skew; refreshes first when it is not. */
  async accessToken(): Promise<string> {
    const now = this.#o.now?.() ?? Date.now();
    if (this.#tokens.expiresAt - (this.#o.refreshSkewMs ?? 60_000) > now) return this.#tokens.apiToken;
    return (await this.refresh()).apiToken;
  }

  /**
   * Rotate the pair once, however many callers ask at the same time. `stale` is the access token the
   * caller saw rejected: if another caller already replaced it, that newer pair is returned instead.
   */
  refresh(stale?: string): Promise<Tokens> {
    if (stale !== undefined && stale !== this.#tokens.apiToken) return Promise.resolve(this.#tokens);
    if (!this.#inflight) {
      this.#inflight = this.#rotate().finally(() => {
        this.#inflight = null;
      });
    }
    return this.#inflight;
  }

  async #rotate(): Promise<Tokens> {
    let next: Tokens;
    try {
      next = await refresh(this.#o, this.#tokens.refreshToken, this.#tokens.agentId);
    } catch (e) {
      // a revoked or reused refresh token is fatal only without the key
      const creds = this.#credentials;
      if (!(e instanceof MoltStackError) || e.status !== 401 || !creds) throw e;
      next = await login(this.#o, creds.username, creds.key);
    }
    this.#tokens = next;
    await this.#o.onTokens?.(next);
    return next;
  }

  /** Replace the pair (e.g. after an explicit login). */
  async set(tokens: Tokens): Promise<void> {
    this.#tokens = tokens;
    await this.#o.onTokens?.(tokens);
  }
}
