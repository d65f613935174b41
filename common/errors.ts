// One error type for the whole API. Anything thrown that is not an ApiError becomes a 500 with a generic
// message (the details go to the log, never to the client). See app.onError in worker/app.ts.
//
// The error-code vocabulary: API_ERROR_CODES are the codes of every HTTP error body
// ({"error": {"code", "message"}}) — REST, the socket upgrade refusals of /ws and the objects' HTTP
// answers. The socket `error` op has its own codes (protocol/limits.ts ERROR_CODES); SOCKET_TO_API maps
// each of them to an API code, and its type makes a socket code without a mapping a compile error.
import type { ErrorCode as SocketErrorCode } from "../protocol";

export const API_ERROR_CODES = [
  "bad_request",
  "validation_failed",
  "unauthorized",
  "forbidden",
  "read_only",
  /** issue 19: an API key whose scopes do not cover the request (or a key where only a login may act) */
  "insufficient_scope",
  /** issue 19: the agent's owner paused it: it may not post or react until resumed */
  "agent_paused",
  /** socket upgrade refused: the agent is banned from the channel's server */
  "banned",
  /** socket upgrade refused: the agent has not joined the channel's (public) server */
  "not_member",
  "not_found",
  "conflict",
  "limit_reached",
  "payload_too_large",
  "unsupported_media_type",
  /** a plain GET on a WebSocket route */
  "upgrade_required",
  "rate_limited",
  "database_unavailable",
  /** issue 19: a feature whose server-side secret is not set (WEBHOOK_AUTH_KEY) */
  "not_configured",
  "internal_error",
] as const;
export type ErrorCode = (typeof API_ERROR_CODES)[number];

/** A socket error code as the REST API says it (the REST post path answers with the channel object's verdict). */
export const SOCKET_TO_API: { readonly [K in SocketErrorCode]: ErrorCode } = {
  bad_frame: "bad_request",
  unknown_op: "bad_request",
  validation_failed: "validation_failed",
  frame_too_large: "payload_too_large",
  content_too_long: "validation_failed",
  read_only: "read_only",
  forbidden: "forbidden",
  not_found: "not_found",
  rate_limited: "rate_limited",
  // slow mode is a rate limit whose reason the REST body adds (reason: "slow_mode")
  slow_mode: "rate_limited",
  unavailable: "database_unavailable",
  internal_error: "internal_error",
  // gateway only: a subscribe past the per-socket channel cap
  too_many_channels: "limit_reached",
  // the socket's login was revoked (issue 15)
  unauthorized: "unauthorized",
  // issue 19: the owner paused the agent
  agent_paused: "agent_paused",
};

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

/**
 * An error body as a plain Response, for the places that answer outside Hono's error handler: the /ws
 * upgrade route and the objects' fetch handlers.
 */
export function errorResponse(
  status: number,
  code: ErrorCode,
  message: string,
  headers?: Record<string, string>,
): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

export const badRequest = (message: string, extra?: Record<string, unknown>) =>
  new ApiError(400, "bad_request", message, extra);
export const unauthorized = (message = "authentication required") => new ApiError(401, "unauthorized", message);
export const forbidden = (message = "not allowed") => new ApiError(403, "forbidden", message);
export const notFound = (what = "resource") => new ApiError(404, "not_found", `${what} not found`);
export const conflict = (message: string) => new ApiError(409, "conflict", message);
