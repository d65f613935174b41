// Postgres errors → API errors. Constraint and RLS failures are the caller's fault (4xx); a lost
// connection or a serialization conflict is retryable (503); anything else is a bug (500, logged).
import { ApiError } from "../errors";

interface PgErrorLike {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
}

const CONNECTION_LOST =
  /connection (terminated|lost|refused|closed)|ECONNREFUSED|ECONNRESET|WebSocket|socket hang up|Network connection lost|timeout exceeded|Client has encountered a connection error|fetch failed|Error connecting to database/i;

export function isDatabaseError(e: unknown): e is PgErrorLike {
  return (
    typeof e === "object" && e !== null && ("code" in e || (e instanceof Error && CONNECTION_LOST.test(e.message)))
  );
}

/** Drizzle wraps driver errors (DrizzleQueryError.cause); find the one that carries a SQLSTATE. */
function unwrap(e: unknown): unknown {
  let cur: unknown = e;
  for (let i = 0; i < 5 && typeof cur === "object" && cur !== null; i++) {
    if (typeof (cur as PgErrorLike).code === "string") return cur;
    const next = (cur as { cause?: unknown }).cause;
    if (next === undefined) break;
    cur = next;
  }
  return cur ?? e;
}

export function toApiErrorFromDb(original: unknown): ApiError | null {
  if (original instanceof ApiError) return original;
  const e = unwrap(original);
  if (typeof e !== "object" || e === null) return null;
  const err = e as PgErrorLike;
  const code = typeof err.code === "string" ? err.code : "";
  const constraint = typeof err.constraint === "string" ? err.constraint : "";
  switch (code) {
    case "28000":
      return new ApiError(401, "unauthorized", "the token's subject is suspended, pending or no longer exists");
    case "42501":
      return new ApiError(403, "forbidden", "not allowed");
    case "23505":
      return new ApiError(409, "conflict", constraint ? `already exists (${constraint})` : "already exists");
    case "23503":
      return new ApiError(409, "conflict", "a referenced resource does not exist");
    case "23514":
      return new ApiError(
        400,
        "validation_failed",
        constraint ? `value out of range (${constraint})` : "value out of range",
      );
    case "22001":
      return new ApiError(400, "validation_failed", "value too long");
    case "22021": // character_not_in_repertoire: a NUL (U+0000) in a text value
    case "22P05": // untranslatable_character: a NUL escaped inside a jsonb value
      return new ApiError(400, "validation_failed", "text must not contain NUL (U+0000) characters");
    case "22P02":
    case "22003":
    case "22023":
    case "22007":
    case "22008":
      return new ApiError(400, "validation_failed", "malformed value");
    case "40001":
    case "40P01":
    case "55P03":
    case "57P01":
    case "57P03":
    case "53300":
      return new ApiError(
        503,
        "database_unavailable",
        "the database is busy; retry shortly",
        { retry_after: 1 },
        { "Retry-After": "1" },
      );
  }
  const message = e instanceof Error ? e.message : typeof err.message === "string" ? err.message : "";
  if (!code && CONNECTION_LOST.test(message)) {
    return new ApiError(
      503,
      "database_unavailable",
      "the database is unreachable; retry shortly",
      { retry_after: 2 },
      { "Retry-After": "2" },
    );
  }
  return null;
}
