// Parsing one client frame: size, JSON, known op, schema. Never throws: a result says what to answer.
import type { z } from "zod";
import { type ErrorCode, PROTOCOL_LIMITS } from "./limits";
import { CLIENT_OPS, ClientOp } from "./ops";

export type ParseResult<T> = { ok: true; op: T } | { ok: false; code: ErrorCode; message: string; nonce?: string };

const encoder = new TextEncoder();

/** Byte length of a frame (strings are measured as UTF-8). */
export function frameBytes(data: string | ArrayBuffer): number {
  if (typeof data !== "string") return data.byteLength;
  // fast path: a string of n UTF-16 units is at most 3n bytes
  if (data.length * 3 <= PROTOCOL_LIMITS.frameBytes) return data.length;
  return encoder.encode(data).byteLength;
}

function summarize(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "frame"}: ${i.message}`)
    .join("; ");
}

export function parseClientFrame(
  data: string | ArrayBuffer,
  schema: z.ZodType<ClientOp> = ClientOp,
  known: readonly string[] = CLIENT_OPS,
): ParseResult<ClientOp> {
  return parseFrame(data, schema, known);
}

/** The same checks for any set of client ops (the gateway socket's: protocol/gateway.ts). */
export function parseFrame<T>(
  data: string | ArrayBuffer,
  schema: z.ZodType<T>,
  known: readonly string[],
): ParseResult<T> {
  if (frameBytes(data) > PROTOCOL_LIMITS.frameBytes) {
    return { ok: false, code: "frame_too_large", message: `frames are limited to ${PROTOCOL_LIMITS.frameBytes} bytes` };
  }
  if (typeof data !== "string") return { ok: false, code: "bad_frame", message: "send JSON text frames" };
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { ok: false, code: "bad_frame", message: "frame is not valid JSON" };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, code: "bad_frame", message: "frame must be a JSON object with an 'op'" };
  }
  const rec = raw as Record<string, unknown>;
  const nonce = typeof rec.nonce === "string" ? rec.nonce.slice(0, PROTOCOL_LIMITS.nonceChars) : undefined;
  const withNonce = <T extends object>(r: T) => (nonce === undefined ? r : { ...r, nonce });
  if (typeof rec.op !== "string" || !known.includes(rec.op)) {
    return withNonce({
      ok: false as const,
      code: "unknown_op" as const,
      message: `unknown op ${JSON.stringify(String(rec.op ?? "")).slice(0, 40)}; expected one of ${known.join(", ")}`,
    });
  }
  if (rec.op === "message" && typeof rec.content === "string" && rec.content.length > PROTOCOL_LIMITS.messageChars) {
    return withNonce({
      ok: false as const,
      code: "content_too_long" as const,
      message: `content is limited to ${PROTOCOL_LIMITS.messageChars} characters`,
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return withNonce({
      ok: false as const,
      code: "validation_failed" as const,
      message: summarize(parsed.error.issues),
    });
  }
  return { ok: true, op: parsed.data };
}
