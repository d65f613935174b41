// The per-account side of observer login limits (issue 15, "Password guessing"): a wrong password counts
// against the account whatever the IP, and an account past its free failures is locked for a short,
// doubling, capped time (durable-objects/login-backoff.ts). Keys are hashes: the limiter never holds an
// address. The lock answers the same for an address with no account, so it reveals nothing.

import { sha256Hex } from "../../common/encoding";
import type { Bindings } from "../../common/env";
import { ApiError } from "../../common/errors";
import { ipBucket } from "../../common/ip";
import { shardOf } from "../../common/rate";

export interface LoginGuard {
  /** Throws the 429 when the account is locked for this client's network. */
  check(): Promise<void>;
  record(ok: boolean): Promise<void>;
}

export async function loginGuard(
  env: Pick<Bindings, "RATE_LIMITER">,
  email: string,
  ip: string | null,
): Promise<LoginGuard> {
  const account = `acct:${await sha256Hex(`observer-login:${email}`)}`;
  const pair = `pair:${await sha256Hex(`observer-login:${email}|${ipBucket(ip)}`)}`;
  // the pair lives with its account (same shard), so one object answers both questions
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`login#${shardOf(account)}`));
  return {
    async check() {
      const g = await stub.loginGate(account, pair);
      if (!g.allowed) {
        throw new ApiError(
          429,
          "rate_limited",
          `too many failed logins for this account; retry in ${g.retryAfter}s`,
          { retry_after: g.retryAfter },
          { "Retry-After": String(g.retryAfter) },
        );
      }
    },
    record: (ok) => stub.loginResult(account, pair, ok),
  };
}
