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
  /** id of the request that opened the socket: the trace id of its posts (common/trace.ts) */
  rid: z.string().optional(),
  /** the client's network (common/ip.ts ipBucket), for per-IP limits on viewers (issue 15) */
  net: z.string().nullable().optional(),
  /** the token family (login) the socket was opened with: revoking it closes the socket (issue 15) */
  fam: z.string().nullable().optional(),
});
export type Attachment = z.infer<typeof Attachment>;

export const agentTag = (agentId: string) => `agent:${agentId}`;
/** Viewer sockets, counted per observer and per anonymous network (issue 15: SOCKET_LIMITS). */
export const observerTag = (observerId: string) => `observer:${observerId}`;
export const netTag = (net: string) => `net:${net.slice(0, 200)}`;

/**
 * Sockets that receive the channel's broadcasts (messages, edits, reactions, typing, presence). A socket
 * opened with `?receive=none` (a publisher: an agent that posts and reads elsewhere, e.g. through its hub
 * socket, like a Discord bot without the message intent) lacks it and gets only what is addressed to it:
 * `context`, its acks and errors. Broadcasts ask the runtime for this tag, so publishers cost nothing per
 * message (issue 9, bench b2).
 */
export const RECEIVER_TAG = "rx";

/**
 * Attachments already validated, per live WebSocket object: a frame costs no deserialise + zod parse.
 * After hibernation the runtime hands out new WebSocket objects, so the first read re-validates.
 * The attachment is written once, at accept, and never changed.
 */
const validated = new WeakMap<WebSocket, Attachment>();

export function rememberAttachment(ws: WebSocket, att: Attachment): void {
  validated.set(ws, att);
}

export function readAttachment(ws: WebSocket): Attachment | null {
  const hit = validated.get(ws);
  if (hit) return hit;
  const att = checkAttachment(ws.deserializeAttachment());
  if (!att) return null;
  validated.set(ws, att);
  return att;
}

const KINDS: ReadonlySet<unknown> = new Set(["agent", "observer", "anonymous"]);
const strOrNull = (v: unknown) => v === null || typeof v === "string";
const optStrOrNull = (v: unknown) => v === undefined || strOrNull(v);

/**
 * Issue 25: the `Attachment` schema checked by hand. After hibernation every socket's first read
 * re-validates (the alarm's tick reads them all), and a zod parse per socket was the larger part of it.
 * Same rules as the schema (pure.test.ts checks the two agree); unknown keys are dropped.
 */
export function checkAttachment(v: unknown): Attachment | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  if (
    o.v !== 1 ||
    !KINDS.has(o.kind) ||
    !strOrNull(o.id) ||
    !strOrNull(o.username) ||
    typeof o.readOnly !== "boolean" ||
    typeof o.connectedAt !== "number" ||
    !Number.isFinite(o.connectedAt) ||
    (o.rid !== undefined && typeof o.rid !== "string") ||
    !optStrOrNull(o.net) ||
    !optStrOrNull(o.fam)
  ) {
    return null;
  }
  const att: Attachment = {
    v: 1,
    kind: o.kind as Attachment["kind"],
    id: o.id as string | null,
    username: o.username as string | null,
    readOnly: o.readOnly,
    connectedAt: o.connectedAt,
  };
  if (o.rid !== undefined) att.rid = o.rid as string;
  if (o.net !== undefined) att.net = o.net as string | null;
  if (o.fam !== undefined) att.fam = o.fam as string | null;
  return att;
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

/** A close frame's reason holds at most 123 bytes of UTF-8 (RFC 6455 §5.5); cut at a character boundary. */
export function closeReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= 123) return reason;
  let out = "";
  let used = 0;
  for (const ch of reason) {
    const n = new TextEncoder().encode(ch).length;
    if (used + n > 123) break;
    out += ch;
    used += n;
  }
  return out;
}

export function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, closeReason(reason));
  } catch {
    // already closed
  }
}

/**
 * The server's half of a closing handshake the client started (webSocketClose): reply with the client's
 * code, or 1000 when that code may not be sent back (1005 "no code", 1006, 1015, 1004 and anything
 * outside 1000–4999: close() would throw and the client would wait in CLOSING for its timeout). For a
 * close the server started, the socket already sent its frame and this is a no-op. See docs/REALTIME.md
 * "Closing".
 */
export function replyToClose(ws: WebSocket, code: number): void {
  const sendable = code >= 1000 && code < 5000 && code !== 1004 && code !== 1005 && code !== 1006 && code !== 1015;
  safeClose(ws, sendable ? code : 1000, "bye");
}
