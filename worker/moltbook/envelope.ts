// Moltbook's answer shapes (issue 20; docs/MOLTBOOK.md). Success: {"success": true, ...fields}. Errors:
// {"success": false, "error", "hint", "code"} with Moltbook's codes (captainclawd/api@96502dc
// src/utils/errors.js). Lists carry both styles clients read: the live `posts`-style key with `count`,
// `has_more`, `next_cursor`, `next_offset`, and the OSS `data` + `pagination {count, limit, offset, hasMore}`.
import type { Context } from "hono";
import type { z } from "zod";
import { toApiErrorFromDb } from "../../common/db/errors";
import { ApiError } from "../../common/errors";
import { logJson } from "../../common/trace";
import type { AppEnv } from "../context";

export const MOLT_CODES = [
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "RATE_LIMITED",
  "VALIDATION_ERROR",
  "BAD_REQUEST",
  "INTERNAL_ERROR",
] as const;
export type MoltCode = (typeof MOLT_CODES)[number];

/** An error in Moltbook's words (thrown by the layer itself; native ApiErrors are translated). */
export class MoltError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 500 | 503,
    readonly code: MoltCode,
    message: string,
    readonly hint: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const HINTS: Record<MoltCode, string> = {
  UNAUTHORIZED: "Send your API key as 'Authorization: Bearer <api_key>' (or X-API-Key). Check it is correct.",
  FORBIDDEN: "You do not have permission for this action.",
  NOT_FOUND: "Check the id or name; it may have been deleted or be private.",
  CONFLICT: "It already exists or the limit is reached.",
  RATE_LIMITED: "Slow down: wait retry_after_seconds before trying again.",
  VALIDATION_ERROR: "Check the request fields against the API documentation (/moltbook/skill.md).",
  BAD_REQUEST: "Check the request (JSON body with 'Content-Type: application/json').",
  INTERNAL_ERROR: "Try again later; quote the X-Request-Id when reporting.",
};

function codeOf(status: number, native: string): MoltCode {
  if (status === 401) return "UNAUTHORIZED";
  if (status === 403) return "FORBIDDEN";
  if (status === 404) return "NOT_FOUND";
  if (status === 409) return "CONFLICT";
  if (status === 429) return "RATE_LIMITED";
  if (status >= 500) return "INTERNAL_ERROR";
  return native === "validation_failed" ? "VALIDATION_ERROR" : "BAD_REQUEST";
}

/** The Moltbook error answer for anything thrown inside the layer (never a stack, never a native shape). */
export function moltError(c: Context<AppEnv>, err: unknown): Response {
  let status: number;
  let code: MoltCode;
  let message: string;
  let hint: string;
  let extra: Record<string, unknown> = {};
  let headers: Record<string, string> = {};
  const api = err instanceof ApiError ? err : err instanceof MoltError ? null : toApiErrorFromDb(err);
  if (err instanceof MoltError) {
    ({ status, code, hint, extra } = err);
    message = err.message;
  } else if (api) {
    status = api.status;
    code = codeOf(api.status, api.code);
    message = api.message;
    hint = HINTS[code];
    headers = api.headers;
    const body = api.toBody() as { error: Record<string, unknown> };
    const { code: _c, message: _m, ...rest } = body.error;
    extra = rest;
  } else {
    const s = (err as { status?: unknown }).status;
    if (typeof s === "number" && s >= 400 && s < 500) {
      status = s;
      code = codeOf(s, "bad_request");
      message = (err as Error).message || "Bad request";
      hint = HINTS[code];
    } else {
      const e = err instanceof Error ? err : new Error(String(err));
      logJson("error", e.message, { name: e.name, stack: e.stack, layer: "moltbook" }, c.get("requestId"));
      status = 500;
      code = "INTERNAL_ERROR";
      message = "Internal server error";
      hint = HINTS.INTERNAL_ERROR;
    }
  }
  if (status === 429) {
    const seconds = Number(extra.retry_after ?? headers["Retry-After"] ?? 60) || 60;
    const minutes = Math.max(1, Math.ceil(seconds / 60));
    extra = {
      ...extra,
      retry_after_seconds: seconds,
      retry_after_minutes: minutes,
      retryAfter: seconds,
      retryAfterMinutes: minutes,
    };
    headers = { ...headers, "Retry-After": String(seconds) };
  }
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return c.json({ success: false, error: message, hint, code, ...extra }, status as 400);
}

/** 400 VALIDATION_ERROR from zod issues, with `errors` as Moltbook's validation answers carry. */
export function validationError(issues: z.core.$ZodIssue[]): MoltError {
  const errors = issues.slice(0, 20).map((i) => ({
    field: i.path.join(".") || "body",
    message: i.code === "unrecognized_keys" ? `unknown field(s): ${i.keys.join(", ")}` : i.message,
  }));
  const first = errors[0];
  return new MoltError(
    400,
    "VALIDATION_ERROR",
    first ? `${first.field}: ${first.message}` : "Validation failed",
    HINTS.VALIDATION_ERROR,
    { errors },
  );
}

export interface ListMeta {
  limit: number;
  offset: number;
  has_more: boolean;
  next_cursor: string | null;
}

/** A list in both styles: `key` and `data`, live pagination fields and OSS `pagination`. */
export function listBody<T>(key: string, items: T[], m: ListMeta, more: Record<string, unknown> = {}) {
  return {
    success: true as const,
    [key]: items,
    data: items,
    count: items.length,
    has_more: m.has_more,
    next_cursor: m.next_cursor,
    next_offset: m.has_more ? m.offset + items.length : null,
    pagination: { count: items.length, limit: m.limit, offset: m.offset, hasMore: m.has_more },
    ...more,
  };
}
