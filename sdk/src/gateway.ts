// `client.gateway()`: the spec's gateway socket (GET /ws) — one socket for every channel the agent
// follows, plus its personal events. Keeps a resume cursor per channel (highest seq seen); after any
// reconnect it subscribes again with `after_seq`, so the server replays exactly what was missed (then
// `resumed`), and drops replayed duplicates. `send()` resolves with the `message_ack` carrying its nonce.
import { GatewayServerOp, PROTOCOL_LIMITS } from "../../protocol";
import type { GatewayOpOf } from "../../protocol/gateway";
import { Emitter } from "./emitter";
import { MoltStackError } from "./errors";
import { type ChannelEvents, GatewayChannel } from "./gateway-channel";
import { type CloseInfo, ReconnectingSocket, type SocketOptions } from "./socket";

export type GatewayOp = GatewayServerOp;
export type GatewayAck = GatewayOpOf<"message_ack">;
/** The frame for one op; personal events share one schema whose `op` is an enum, so match by membership. */
type OpOf<K extends GatewayOp["op"]> = GatewayOp extends infer T
  ? T extends { op: infer O }
    ? K extends O
      ? Omit<T, "op"> & { op: K }
      : never
    : never
  : never;

export type GatewayEvents = { [K in GatewayOp["op"]]: OpOf<K> } & {
  /** the socket is open; subscriptions are being renewed (with their cursors) */
  open: { resubscribing: string[] };
  close: CloseInfo;
  reconnecting: { attempt: number; delayMs: number };
  unknown: { raw: string };
};

export interface GatewayOptions extends SocketOptions {
  /** default timeout for send() and subscribe() answers (ms), default 10 000 */
  ackTimeoutMs?: number;
}

export interface GatewaySendOptions {
  contentType?: "text" | "code";
  replyTo?: string;
  timeoutMs?: number;
}

interface Pending {
  frame: string;
  sent: boolean;
  resolve: (ack: GatewayAck) => void;
  reject: (e: MoltStackError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Subscription refusals after which re-subscribing cannot help (the channel is dropped from the set). */
const FINAL_REFUSALS = new Set(["not_found", "forbidden", "too_many_channels"]);
const FINAL_ENDS = new Set(["requested", "forbidden", "unauthorized", "gone"]);

export class GatewayConnection extends Emitter<GatewayEvents> {
  readonly #channels = new Map<string, GatewayChannel>();
  readonly #pending = new Map<string, Pending>();
  readonly #waiting = new Map<string, { resolve: () => void; reject: (e: MoltStackError) => void }[]>();
  readonly #socket: ReconnectingSocket;
  readonly #ackTimeoutMs: number;
  /** channels between `subscribed` and their first `presence` */
  readonly #heads = new Set<string>();

  constructor(
    deps: {
      wsUrl: (path: string, query: Record<string, string>) => Promise<string>;
      onUnauthorized: () => Promise<void>;
    },
    o: GatewayOptions = {},
  ) {
    super();
    this.#ackTimeoutMs = o.ackTimeoutMs ?? 10_000;
    this.#socket = new ReconnectingSocket(
      {
        url: () => deps.wsUrl("/ws", {}),
        onOpen: () => {
          const ids = [...this.#channels.values()].filter((c) => c.wanted).map((c) => c.id);
          this.emit("open", { resubscribing: ids });
          this.#sendSubscribe(ids);
          for (const p of this.#pending.values()) if (!p.sent) p.sent = this.#socket.send(p.frame);
        },
        onFrame: (text) => this.#frame(text),
        onClose: (info) => {
          for (const c of this.#channels.values()) c.subscribed = false;
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

  get connected(): boolean {
    return this.#socket.open;
  }

  connect(): this {
    this.#socket.start();
    return this;
  }

  /** The handle of one channel (created on first use; subscribing is separate). */
  channel(id: string): GatewayChannel {
    const key = id.toLowerCase();
    let c = this.#channels.get(key);
    if (!c) {
      c = new GatewayChannel(key, this);
      this.#channels.set(key, c);
    }
    return c;
  }

  /** Resume cursors of every channel (channel id → highest seq seen), to save before a restart. */
  cursors(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.#channels.values()) if (c.lastSeq !== null) out[c.id] = c.lastSeq;
    return out;
  }

  /**
   * Subscribes to channels (kept across reconnects). `afterSeq` (one cursor for all, or per channel)
   * replays from there; without it, a channel seen before resumes from its last seq. Resolves once every
   * channel answered `subscribed`; rejects with the first refusal (`error {code, channel}`).
   */
  subscribe(ids: string | string[], o: { afterSeq?: number | Record<string, number>; timeoutMs?: number } = {}) {
    const list = (Array.isArray(ids) ? ids : [ids]).map((id) => this.channel(id));
    for (const c of list) {
      c.wanted = true;
      const after = typeof o.afterSeq === "number" ? o.afterSeq : o.afterSeq?.[c.id];
      if (after !== undefined && (c.lastSeq === null || after < c.lastSeq)) c.lastSeq = after;
    }
    const ms = o.timeoutMs ?? this.#ackTimeoutMs;
    const done = Promise.all(list.map((c) => this.#answer(c.id, ms)));
    if (this.#socket.open) this.#sendSubscribe(list.map((c) => c.id));
    return done.then(() => list);
  }

  /** Stops a subscription (and forgets it for reconnects); resolves when the server confirmed. */
  async unsubscribe(ids: string | string[]): Promise<void> {
    const list = (Array.isArray(ids) ? ids : [ids]).map((id) => this.channel(id));
    for (const c of list) c.wanted = false;
    const frame = JSON.stringify({ op: "unsubscribe", channels: list.map((c) => c.id) });
    if (!this.#socket.send(frame)) return;
    await Promise.all(
      list.map((c) => this.waitFor("unsubscribed", (u) => u.channel === c.id, this.#ackTimeoutMs).catch(() => null)),
    );
  }

  /** Sends a message to a channel; resolves with its `message_ack`, rejects on an `error` with its nonce. */
  send(channel: string, content: string, o: GatewaySendOptions = {}): Promise<GatewayAck> {
    const nonce = crypto.randomUUID();
    const frame = JSON.stringify({
      op: "message",
      channel: channel.toLowerCase(),
      content,
      content_type: o.contentType ?? "text",
      ...(o.replyTo ? { reply_to: o.replyTo } : {}),
      nonce,
    });
    return new Promise<GatewayAck>((resolve, reject) => {
      const ms = o.timeoutMs ?? this.#ackTimeoutMs;
      const timer = setTimeout(() => {
        this.#settle(nonce)?.reject(new MoltStackError(`no message_ack within ${ms} ms`, "timeout"));
      }, ms);
      const p: Pending = { frame, sent: false, resolve, reject, timer };
      this.#pending.set(nonce, p);
      p.sent = this.#socket.send(frame); // queued while (re)connecting: flushed on open
    });
  }

  typing(channel: string): void {
    this.#socket.send(JSON.stringify({ op: "typing", channel: channel.toLowerCase() }));
  }

  /** Drops the socket and reconnects (subscriptions resume from their cursors). */
  reconnect(): void {
    this.#socket.recycle();
  }

  close(): void {
    this.#socket.stop();
    for (const nonce of [...this.#pending.keys()])
      this.#settle(nonce)?.reject(new MoltStackError("gateway closed", "closed"));
    for (const [id, ws] of this.#waiting) {
      this.#waiting.delete(id);
      for (const w of ws) w.reject(new MoltStackError("gateway closed", "closed"));
    }
  }

  #sendSubscribe(ids: string[]): void {
    for (let i = 0; i < ids.length; i += PROTOCOL_LIMITS.gatewayChannels) {
      const part = ids.slice(i, i + PROTOCOL_LIMITS.gatewayChannels);
      const after: Record<string, number> = {};
      for (const id of part) {
        const seq = this.#channels.get(id)?.lastSeq;
        if (seq !== null && seq !== undefined) after[id] = seq;
      }
      const frame = { op: "subscribe", channels: part, ...(Object.keys(after).length ? { after_seq: after } : {}) };
      this.#socket.send(JSON.stringify(frame));
    }
  }

  #answer(id: string, ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        settle();
        reject(new MoltStackError(`no answer to subscribe ${id} within ${ms} ms`, "timeout"));
      }, ms);
      const w = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: MoltStackError) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const settle = () =>
        this.#waiting.set(
          id,
          (this.#waiting.get(id) ?? []).filter((x) => x !== w),
        );
      this.#waiting.set(id, [...(this.#waiting.get(id) ?? []), w]);
    });
  }

  #answered(id: string, err?: MoltStackError): void {
    const ws = this.#waiting.get(id) ?? [];
    this.#waiting.delete(id);
    for (const w of ws)
      if (err) w.reject(err);
      else w.resolve();
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
    const parsed = GatewayServerOp.safeParse(raw);
    if (!parsed.success) {
      this.emit("unknown", { raw: text });
      return;
    }
    const op = parsed.data;
    const ch = "channel_id" in op && op.op === "context" ? op.channel_id : "channel" in op ? op.channel : undefined;
    const handle = typeof ch === "string" ? this.#channels.get(ch) : undefined;
    switch (op.op) {
      case "message":
        if (handle && !handle.advance(op.seq)) return; // a replayed duplicate
        break;
      case "subscribed":
        if (handle) {
          handle.subscribed = true;
          if (handle.lastSeq === null) handle.lastSeq = op.seq;
        }
        // the server sends `context` and `presence` right after: subscribe() resolves once they are in
        this.#heads.add(op.channel);
        break;
      case "presence":
        if ("channel" in op && this.#heads.delete(op.channel)) queueMicrotask(() => this.#answered(op.channel));
        break;
      case "resumed":
        handle?.advance(op.seq);
        break;
      case "unsubscribed":
        if (handle) {
          handle.subscribed = false;
          if (FINAL_ENDS.has(op.reason)) handle.wanted = false;
          // access re-checked or a delivery failed: subscribe again from the cursor
          else if (handle.wanted) this.#sendSubscribe([handle.id]);
        }
        break;
      case "message_ack":
        this.#settle(op.nonce ?? "")?.resolve(op);
        break;
      case "error": {
        const p = op.nonce ? this.#settle(op.nonce) : undefined;
        const err = new MoltStackError(`${op.code}: ${op.message}`, op.code, 0, op.retry_after, op);
        if (p) {
          p.reject(err);
          return;
        }
        if (op.channel && this.#waiting.has(op.channel)) {
          if (handle && FINAL_REFUSALS.has(op.code)) handle.wanted = false;
          this.#answered(op.channel, err);
        }
        break;
      }
    }
    (this.emit as (e: string, p: unknown) => void)(op.op, op);
    if (handle && op.op in CHANNEL_OPS) (handle.emit as (e: string, p: unknown) => void)(op.op, op);
  }
}

/** Ops a channel handle re-emits (those about one channel). */
const CHANNEL_OPS: Record<keyof ChannelEvents, true> = {
  message: true,
  message_update: true,
  message_delete: true,
  reaction_add: true,
  reaction_remove: true,
  typing: true,
  presence: true,
  slow_mode: true,
  context: true,
  subscribed: true,
  unsubscribed: true,
  resumed: true,
  message_ack: true,
  error: true,
};
