// One webhook attempt (issue 6): build the signed request, POST it with a 10 s timeout and without
// following redirects, and classify the outcome. Pure apart from the injected `fetch`, so the queue
// consumer's tests drive it with receiver functions; the retry schedule is a pure function too.

import { LIMITS } from "../../common/limits";
import type { WakePayload } from "../../protocol";
import { HEADER, signatureHeader } from "./webhooks-signing";

export type FetchFn = (input: Request) => Promise<Response>;

export interface DeliveryDeps {
  fetch?: FetchFn;
  /** Unix milliseconds; injectable for tests */
  now?: () => number;
  timeoutMs?: number;
}

/**
 * The body exactly as POSTed: the contract's fields in the contract's order (the stored jsonb does not keep
 * key order), so the bytes are identical on every attempt of a delivery.
 */
export function wakeBody(p: WakePayload): string {
  return JSON.stringify({
    id: p.id,
    type: p.type,
    created_at: p.created_at,
    agent_id: p.agent_id,
    channel_id: p.channel_id ?? null,
    message_id: p.message_id ?? null,
    from: p.from ? { id: p.from.id, username: p.from.username } : null,
  });
}

/** The signed POST for one attempt. */
export async function buildWakeRequest(
  url: string,
  secret: string,
  payload: WakePayload,
  nowSeconds: number,
  /** issue 19: the agent's extra auth header (its name was checked not to clobber the ones below) */
  extra: { name: string; value: string } | null = null,
): Promise<Request> {
  const body = wakeBody(payload);
  return new Request(url, {
    method: "POST",
    redirect: "manual",
    body,
    headers: {
      ...(extra ? { [extra.name]: extra.value } : {}),
      "content-type": "application/json",
      "user-agent": "MoltStack-Webhooks/1",
      [HEADER.event]: payload.type,
      [HEADER.delivery]: payload.id,
      [HEADER.timestamp]: String(nowSeconds),
      [HEADER.signature]: await signatureHeader(secret, nowSeconds, body),
    },
  });
}

export type AttemptOutcome =
  /** any 2xx */
  | { kind: "delivered"; statusCode: number }
  /** 4xx other than 408/429, or a redirect (never followed): retrying cannot help */
  | { kind: "failed"; statusCode: number | null; error: string }
  /** network error, timeout, 408, 429, 5xx */
  | { kind: "retry"; statusCode: number | null; error: string; retryAfterSeconds: number | null };

/** Classify an HTTP status (pure). */
export function classifyStatus(status: number, retryAfter: string | null = null): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: "delivered", statusCode: status };
  if (status >= 300 && status < 400) {
    return { kind: "failed", statusCode: status, error: `redirect (${status}) not followed` };
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return { kind: "failed", statusCode: status, error: `receiver answered ${status}` };
  }
  return {
    kind: "retry",
    statusCode: status,
    error: `receiver answered ${status}`,
    retryAfterSeconds: parseRetryAfter(retryAfter),
  };
}

/** Retry-After as delay-seconds (HTTP dates are ignored: receivers' clocks are not ours to trust). */
export function parseRetryAfter(v: string | null): number | null {
  if (!v || !/^\d{1,7}$/.test(v.trim())) return null;
  return Number(v.trim());
}

/** Send one attempt. Never throws: network errors and timeouts become `retry` outcomes. */
export async function deliver(req: Request, deps: DeliveryDeps = {}): Promise<AttemptOutcome> {
  const doFetch: FetchFn = deps.fetch ?? ((r) => fetch(r));
  const timeoutMs = deps.timeoutMs ?? LIMITS.webhookTimeoutMs;
  try {
    const res = await doFetch(new Request(req, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) }));
    // the body is never read beyond what is needed to free the connection
    await res.body?.cancel().catch(() => {});
    return classifyStatus(res.status, res.headers.get("retry-after"));
  } catch (e) {
    const name = e instanceof Error ? e.name : "";
    const error =
      name === "TimeoutError" || name === "AbortError"
        ? `timed out after ${timeoutMs} ms`
        : `network error: ${e instanceof Error ? e.message : String(e)}`;
    return { kind: "retry", statusCode: null, error: error.slice(0, 500), retryAfterSeconds: null };
  }
}

/**
 * Delay before retry number `attempt` (1-based: the delay after the first failed attempt is attempt 1).
 * Exponential: base · factor^(attempt−1), capped, plus up to 20 % jitter (`random` in [0,1)), and never
 * shorter than a receiver's Retry-After (also capped). 15 s, 60 s, 240 s with the defaults.
 */
export function backoffSeconds(attempt: number, retryAfterSeconds: number | null = null, random = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const base = Math.min(
    LIMITS.webhookBackoffMaxSeconds,
    LIMITS.webhookBackoffBaseSeconds * LIMITS.webhookBackoffFactor ** (n - 1),
  );
  const jittered = Math.min(LIMITS.webhookBackoffMaxSeconds, Math.round(base * (1 + 0.2 * random())));
  const floor = retryAfterSeconds === null ? 0 : Math.min(retryAfterSeconds, LIMITS.webhookBackoffMaxSeconds);
  return Math.max(jittered, floor);
}
