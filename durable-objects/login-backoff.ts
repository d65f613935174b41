// Per-account login backoff (issue 15, "Password guessing"), as pure functions of plain data: the
// RateLimiter object stores the state, these decide. Times are epoch seconds. See LOGIN_BACKOFF.
import { LOGIN_BACKOFF } from "../common/limits";

export interface AccountState {
  /** wrong passwords in a row (reset by a success or a quiet day) */
  failures: number;
  /** no attempt from an untrusted pair before this time */
  lockedUntil: number;
  lastFailure: number;
}

export const FRESH: AccountState = { failures: 0, lockedUntil: 0, lastFailure: 0 };

export interface LoginGate {
  allowed: boolean;
  /** seconds until an attempt can be made (0 when allowed) */
  retryAfter: number;
}

/** May an attempt go ahead? A pair that succeeded recently passes any lock. */
export function gate(state: AccountState, pairTrusted: boolean, now: number): LoginGate {
  if (pairTrusted || state.lockedUntil <= now) return { allowed: true, retryAfter: 0 };
  return { allowed: false, retryAfter: Math.max(1, state.lockedUntil - now) };
}

/** Lock length after the n-th wrong password in a row: 0 for the free ones, then doubling, capped. */
export function lockSeconds(failures: number): number {
  const over = failures - LOGIN_BACKOFF.freeFailures;
  if (over < 0) return 0;
  return Math.min(LOGIN_BACKOFF.capSeconds, LOGIN_BACKOFF.baseSeconds * 2 ** Math.min(over, 20));
}

export function afterFailure(state: AccountState, now: number): AccountState {
  const stale = now - state.lastFailure > LOGIN_BACKOFF.forgetAfterSeconds;
  const failures = (stale ? 0 : state.failures) + 1;
  const lock = lockSeconds(failures);
  return { failures, lastFailure: now, lockedUntil: lock > 0 ? now + lock : 0 };
}
