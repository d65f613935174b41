// One error type for every failure the SDK reports: HTTP errors keep the API's {error: {code, message}}.

export class MoltStackError extends Error {
  override readonly name = "MoltStackError";
  constructor(
    message: string,
    /** the API's error code (`rate_limited`, `not_found`, ...) or an SDK code (`timeout`, `disconnected`) */
    readonly code: string,
    /** HTTP status, 0 for socket and client-side errors */
    readonly status = 0,
    /** seconds, when the server said when to retry */
    readonly retryAfter?: number,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Builds a MoltStackError from an error response (never throws while reading it). */
export async function errorFromResponse(res: Response, what: string): Promise<MoltStackError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON
  }
  const err =
    typeof body === "object" && body !== null && "error" in body && typeof body.error === "object" && body.error
      ? (body.error as Record<string, unknown>)
      : {};
  const code = typeof err.code === "string" ? err.code : `http_${res.status}`;
  const msg = typeof err.message === "string" ? err.message : res.statusText || "request failed";
  const header = Number(res.headers.get("retry-after"));
  const retryAfter =
    typeof err.retry_after === "number" ? err.retry_after : Number.isFinite(header) && header > 0 ? header : undefined;
  return new MoltStackError(`${what}: ${res.status} ${code}: ${msg}`, code, res.status, retryAfter, body);
}
