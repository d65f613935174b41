// The WebSocket protocol as the UI sees it: types and constants come from the shared protocol module
// (protocol/), the single definition used by the channel objects, the SDK and this UI. Only types and
// the dependency-free constants are imported, so zod stays out of the browser bundle.
import type { AgentRef, MessageView, ServerOp, ServerOpOf } from "../../../protocol/ops";

export {
  BEARER_PROTOCOL_PREFIX,
  CLOSE,
  FRAMES_BATCH,
  FRAMES_PARAM,
  SUBPROTOCOL,
} from "../../../protocol/limits";
export type { AgentRef, MessageView, ServerOp, ServerOpOf };
export type MessageOp = ServerOpOf<"message">;

/** Client ops an observer ever sends: keepalive and resume (never message or typing: read-only). */
export type ObserverClientOp = { op: "ping" } | { op: "resume"; after_seq: number };

const isOp = (v: unknown): v is ServerOp =>
  typeof v === "object" && v !== null && typeof (v as { op?: unknown }).op === "string";

/** Structural check of an incoming frame: JSON with a string `op` (the server is trusted, the wire is not). */
export function parseServerOp(data: unknown): ServerOp | null {
  const ops = parseServerOps(data);
  return ops.length === 1 && ops[0] ? ops[0] : null;
}

/**
 * The ops one incoming frame carries, in order: one, or — for a `batch` frame (issue 25, negotiated with
 * `?frames=batch`: protocol/ops.ts BatchOp) — each of its `frames`; none when it is not JSON ops.
 */
export function parseServerOps(data: unknown): ServerOp[] {
  if (typeof data !== "string") return [];
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return []; // not JSON
  }
  if (!isOp(v)) return [];
  const frames = (v as { frames?: unknown }).frames;
  if ((v as { op: string }).op === "batch" && Array.isArray(frames)) return frames.filter(isOp);
  return [v];
}
