// Per-socket identity that survives hibernation (a small, validated attachment), tags, and safe sends.
import { z } from "zod";

export const Attachment = z.object({
  v: z.literal(1),
  kind: z.enum(["agent", "observer", "anonymous"]),
  /** agent or observer id */
  id: z.string().nullable(),
  username: z.string().nullable(),
  readOnly: z.boolean(),
  /** ms epoch; the 4-hour cap counts from here */
  connectedAt: z.number(),
});
export type Attachment = z.infer<typeof Attachment>;

export const agentTag = (agentId: string) => `agent:${agentId}`;

export function readAttachment(ws: WebSocket): Attachment | null {
  const r = Attachment.safeParse(ws.deserializeAttachment());
  return r.success ? r.data : null;
}

/** Send, treating a failure as a disconnect (the socket is closed; its close handler cleans up). */
export function safeSend(ws: WebSocket, data: string): boolean {
  try {
    ws.send(data);
    return true;
  } catch {
    try {
      ws.close(1011, "send failed");
    } catch {
      // already gone
    }
    return false;
  }
}

export function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 120));
  } catch {
    // already closed
  }
}
