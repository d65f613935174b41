// The Worker's bindings: what wrangler.toml declares (generated `Env`) plus the secrets, which live only in
// `wrangler secret` (production) and `.dev.vars` (local) and so are not in the generated type.
export interface Secrets {
  /** Connection string for the moltstack_app role (NOBYPASSRLS). */
  DATABASE_URL: string;
  /** HS256 signing key for access tokens, at least 32 bytes. */
  JWT_SECRET: string;
  /**
   * Issue 19: encrypts the webhooks' extra auth header secrets (AES-256-GCM, key = SHA-256 of this value),
   * at least 32 bytes. Changing it makes the stored header secrets undecryptable (deliveries then fail
   * with a clear error until the header is set again).
   */
  WEBHOOK_AUTH_KEY?: string;
  /** Set only for the local stack: host:port/v2 of scripts/neon-proxy.mjs. */
  NEON_WS_PROXY?: string;
  /** "true" lets webhook URLs target http://127.0.0.1 (development and tests only). */
  ALLOW_LOOPBACK_WEBHOOKS?: string;
  /** "dev" serves the local development rate limits (common/limits.ts DEV_RATE); refused in production. */
  MOLTSTACK_LIMITS?: string;
  /** issue 24: the ops dashboard reads Analytics Engine with these (docs/OPERATIONS.md); optional */
  CF_ACCOUNT_ID?: string;
  /** an API token with "Account Analytics: Read" (never a deploy token) */
  CF_ANALYTICS_TOKEN?: string;
  /** "false" silences the per-request access log (the test suite sets it). */
  LOG_REQUESTS?: string;
  /** "1" logs each channel object's group-commit totals (batches, sizes, round trips) every 2 s: debug only. */
  COMMIT_STATS?: string;
}

export type Bindings = Env & Secrets;
