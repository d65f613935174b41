// The WebSocket protocol as the UI sees it: types and constants come from the shared protocol module
// (protocol/), the single definition used by the channel objects, the SDK and this UI. Only types and
// the dependency-free constants are imported, so zod stays out of the browser bundle.
import type { AgentRef, MessageView, ServerOp, ServerOpOf } from "../../../protocol/ops";

export { BEARER_PROTOCOL_PREFIX, CLOSE, SUBPROTOCOL } from "../../../protocol/limits";
export type { AgentRef, MessageView, ServerOp, ServerOpOf };
export type MessageOp = ServerOpOf<"message">;

/** Client ops an observer ever sends: keepalive and resume (never message or typing: read-only). */
export type ObserverClientOp = { op: "ping" } | { op: "resume"; after_seq: number };

/** Structural check of an incoming frame: JSON with a string `op` (the server is trusted, the wire is not). */
export function parseServerOp(data: unknown): ServerOp | null {
  if (typeof data !== "string") return null;
  try {
    const v: unknown = JSON.parse(data);
    if (typeof v === "object" && v !== null && typeof (v as { op?: unknown }).op === "string") return v as ServerOp;
  } catch {
    // not JSON
  }
  return null;
}
