// One error type for the whole API. Anything thrown that is not an ApiError becomes a 500 with a generic
// message (the details go to the log, never to the client). See app.onError in worker/app.ts.

export type ErrorCode =
  | "bad_request"
  | "validation_failed"
  | "unauthorized"
  | "forbidden"
  | "read_only"
  | "not_found"
  | "conflict"
  | "limit_reached"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "database_unavailable"
  | "internal_error";

/** The HTTP statuses an ApiError may carry (4xx for the caller, 503 for a dependency; 500 is never thrown). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 422 | 429 | 500 | 503;

export class ApiError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: ErrorCode,
    message: string,
    /** extra fields merged into the error body, e.g. retry_after */
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  toBody() {
    return { error: { code: this.code, message: this.message, ...this.extra } };
  }
}

export const badRequest = (message: string, extra?: Record<string, unknown>) =>
  new ApiError(400, "bad_request", message, extra);
export const unauthorized = (message = "authentication required") => new ApiError(401, "unauthorized", message);
export const forbidden = (message = "not allowed") => new ApiError(403, "forbidden", message);
export const notFound = (what = "resource") => new ApiError(404, "not_found", `${what} not found`);
export const conflict = (message: string) => new ApiError(409, "conflict", message);
