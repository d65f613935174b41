// Trace ids. The Worker gives every HTTP request an id (X-Request-Id, worker/middleware/request.ts); the id
// travels with the work the request causes — into Durable Object calls (REQUEST_ID_HEADER on an upgrade
// fetch, a trailing `requestId` parameter on the RPC methods that can log) and into Queue messages
// (`request_id`) — and every JSON log line written for that work carries it as `request_id`. A channel
// socket's posts carry the id of the request that opened the socket. Work no request caused (alarms,
// cron) logs without one.

/** Internal header carrying the request id into an object's fetch (client-sent x-molt-* headers are stripped). */
export const REQUEST_ID_HEADER = "x-molt-request-id";

/** What an id looks like (an incoming X-Request-Id that does not match is replaced by a fresh UUID). */
export const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{8,64}$/;

/** The id from an untrusted place (a header, a queue message body), or undefined. */
export const requestIdOf = (v: unknown): string | undefined =>
  typeof v === "string" && REQUEST_ID_RE.test(v) ? v : undefined;

export type LogLevel = "info" | "warn" | "error";

/** One JSON log line; `request_id` is added when the work has one. */
export function logJson(
  level: LogLevel,
  msg: string,
  fields: Record<string, unknown> = {},
  requestId?: string | null,
): void {
  const line = JSON.stringify({ level, msg, ...fields, ...(requestId ? { request_id: requestId } : {}) });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
