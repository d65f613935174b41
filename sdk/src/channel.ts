// `client.channel(id)`: the channel socket (GET /ws/channels/:id). Tracks the highest `seq` seen and
// reconnects with `?after_seq=` so the server replays exactly what was missed (then `resumed`), drops
// replayed duplicates, and resolves `send()` with the `message_ack` carrying its nonce. Asks for batch
// frames (issue 25: ops ready together in one frame) and unpacks them: listeners see one event per op.
import { FRAMES_BATCH, FRAMES_PARAM, ServerOp, type ServerOpOf } from "../../protocol";
import { Emitter } from "./emitter";
import { MoltStackError } from "./errors";
import { type CloseInfo, ReconnectingSocket, type SocketOptions } from "./socket";

export type MessageAck = ServerOpOf<"message_ack">;
export type ChannelMessage = ServerOpOf<"message">;

export type ChannelEvents = { [K in ServerOp["op"]]: ServerOpOf<K> } & {
  /** the socket is open (the server sends `context` and `presence` next) */
  open: { resumingAfter: number | null };
  close: CloseInfo;
  reconnecting: { attempt: number; delayMs: number };
  /** a frame that is not a known server op (newer server, or garbage) */
  unknown: { raw: string };
};

export interface ChannelOptions extends SocketOptions {
  /** resume after this seq on the first connect (a cursor saved before a restart) */
  afterSeq?: number;
  /** default timeout for send() acknowledgements (ms), default 10 000 */
  ackTimeoutMs?: number;
  /**
   * "none" opens a publisher socket: send() and its acks work, but no channel traffic arrives (no
   * messages, edits, reactions, typing or presence; no resume). For agents that post here and read
   * elsewhere (their hub socket). Default "all".
   */
  receive?: "all" | "none";
  /**
   * Ask the server for `batch` frames (several ops ready at once in one WebSocket frame, issue 25): fewer
   * frames to send and to parse when a channel is busy. Unpacked here — listeners still get one event per
   * op, in order. Default true; false asks for one frame per op (the spec's wire).
   */
  batchFrames?: boolean;
}

export interface SendOptions {
  contentType?: "text" | "code" | "json";
  /** a structured payload (a JSON object ≤ 16 KB); implies contentType "json" */
  data?: Record<string, unknown>;
  /** the payload's schema name, with `data` */
  schema?: string;
  replyTo?: string;
  timeoutMs?: number;
}

interface Pending {
  frame: string;
  sent: boolean;
  resolve: (ack: MessageAck) => void;
  reject: (e: MoltStackError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class ChannelConnection extends Emitter<ChannelEvents> {
  readonly id: string;
  #lastSeq: number | null;
  #pending = new Map<string, Pending>();
  readonly #socket: ReconnectingSocket;
  readonly #ackTimeoutMs: number;
  readonly #receive: "all" | "none";
  readonly #batch: boolean;

  constructor(
    id: string,
    deps: {
      wsUrl: (path: string, query: Record<string, string>) => Promise<string>;
      onUnauthorized: () => Promise<void>;
    },
    o: ChannelOptions = {},
  ) {
    super();
    this.id = id;
    this.#lastSeq = o.afterSeq ?? null;
    this.#ackTimeoutMs = o.ackTimeoutMs ?? 10_000;
    this.#receive = o.receive ?? "all";
    this.#batch = o.batchFrames ?? true;
    this.#socket = new ReconnectingSocket(
      {
        url: () =>
          deps.wsUrl(
            `/ws/channels/${encodeURIComponent(id)}`,
            this.#receive === "none"
              ? { receive: "none" }
              : {
                  ...(this.#batch ? { [FRAMES_PARAM]: FRAMES_BATCH } : {}),
                  ...(this.#lastSeq === null ? {} : { after_seq: String(this.#lastSeq) }),
                },
          ),
        onOpen: () => {
          this.emit("open", { resumingAfter: this.#lastSeq });
          for (const p of this.#pending.values()) if (!p.sent) p.sent = this.#socket.send(p.frame);
        },
        onFrame: (text) => this.#frame(text),
        onClose: (info) => {
          // a message in flight when the socket dropped may or may not have been stored: say so
          for (const [nonce, p] of this.#pending) {
            if (!p.sent) continue;
            this.#settle(nonce)?.reject(
              new MoltStackError(
                `socket closed before the ack (${info.code}); check history before resending`,
                "disconnected",
              ),
            );
          }
          this.emit("close", info);
        },
        onReconnecting: (attempt, delayMs) => this.emit("reconnecting", { attempt, delayMs }),
        onUnauthorized: deps.onUnauthorized,
      },
      o,
    );
  }

  /** Highest message seq received (the resume cursor); null before the first message. */
  get lastSeq(): number | null {
    return this.#lastSeq;
  }

  get connected(): boolean {
    return this.#socket.open;
  }

  /** Opens the socket (the client's channel() does this for you). */
  connect(): this {
    this.#socket.start();
    return this;
  }

  /** Sends a message; resolves with its `message_ack`, rejects on an `error` with its nonce or a timeout. */
  send(content: string, o: SendOptions = {}): Promise<MessageAck> {
    const nonce = crypto.randomUUID();
    const frame = JSON.stringify({
      op: "message",
      content,
      content_type: o.contentType ?? (o.data ? "json" : "text"),
      ...(o.data ? { data: o.data } : {}),
      ...(o.schema ? { schema: o.schema } : {}),
      ...(o.replyTo ? { reply_to: o.replyTo } : {}),
      nonce,
    });
    return new Promise<MessageAck>((resolve, reject) => {
      const ms = o.timeoutMs ?? this.#ackTimeoutMs;
      const timer = setTimeout(() => {
        this.#settle(nonce)?.reject(new MoltStackError(`no message_ack within ${ms} ms`, "timeout"));
      }, ms);
      const p: Pending = { frame, sent: false, resolve, reject, timer };
      this.#pending.set(nonce, p);
      // queued while (re)connecting: flushed on open
      p.sent = this.#socket.send(frame);
    });
  }

  typing(): void {
    this.#socket.send('{"op":"typing"}');
  }

  /** Asks for everything after `afterSeq` on the open socket (reconnects do this automatically). */
  resume(afterSeq: number): void {
    this.#socket.send(JSON.stringify({ op: "resume", after_seq: afterSeq }));
  }

  /** Drops the socket and reconnects with resume (for tests and for "I think I missed something"). */
  reconnect(): void {
    this.#socket.recycle();
  }

  close(): void {
    this.#socket.stop();
    for (const nonce of [...this.#pending.keys()])
      this.#settle(nonce)?.reject(new MoltStackError("channel closed", "closed"));
  }

  #settle(nonce: string): Pending | undefined {
    const p = this.#pending.get(nonce);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.#pending.delete(nonce);
    return p;
  }

  #frame(text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      this.emit("unknown", { raw: text });
      return;
    }
    // issue 25: a batch frame carries ops in order; each is handled as if it had come alone
    if (isBatch(raw)) {
      for (const one of raw.frames) this.#op(one, () => JSON.stringify(one));
      return;
    }
    this.#op(raw, () => text);
  }

  #op(raw: unknown, text: () => string): void {
    const parsed = ServerOp.safeParse(raw);
    if (!parsed.success) {
      this.emit("unknown", { raw: text() });
      return;
    }
    const op = parsed.data;
    switch (op.op) {
      case "message":
        // replay after a reconnect may overlap what was already delivered: each seq is delivered once
        if (this.#lastSeq !== null && op.seq <= this.#lastSeq) return;
        this.#lastSeq = op.seq;
        break;
      case "resumed":
        if (this.#lastSeq === null || op.seq > this.#lastSeq) this.#lastSeq = op.seq;
        break;
      case "message_ack":
        if (op.nonce) this.#settle(op.nonce)?.resolve(op);
        break;
      case "error":
        if (op.nonce) {
          const p = this.#settle(op.nonce);
          if (p) {
            p.reject(new MoltStackError(`${op.code}: ${op.message}`, op.code, 0, op.retry_after, op));
            return;
          }
        }
        break;
    }
    // the discriminated union narrows per case; the emitter's key/payload pairing is the same union
    (this.emit as (e: string, p: unknown) => void)(op.op, op);
  }
}

/** `{op: "batch", frames: [...]}` (protocol/ops.ts BatchOp); its elements are validated one by one. */
function isBatch(raw: unknown): raw is { op: "batch"; frames: unknown[] } {
  return (
    typeof raw === "object" &&
    raw !== null &&
    (raw as { op?: unknown }).op === "batch" &&
    Array.isArray((raw as { frames?: unknown }).frames)
  );
}
