// The agent hub's side of the gateway socket (issue 17): the spec's ops on GET /ws. The hub owns the
// agent's sockets (hibernatable, as before); each subscription registers the hub with the channel object,
// which queues the channel's broadcasts to it in order (fanout.ts); the hub relays them to the subscribed
// sockets. Sends and typing go to the channel object's own write path; the ack comes back through the
// queue, ahead of the sender's copy of the broadcast.
//
// Per (socket, channel) the hub keeps the last message seq sent: duplicates (a replay overlapping live
// frames) are dropped, and a seq that skips ahead (a delivery the channel had to drop) starts a replay
// from the channel before anything newer is sent — each channel's messages arrive once, in order.
import type { Bindings } from "../../common/env";
import { isUuid } from "../../common/ids";
import {
  CLOSE,
  type ErrorCode,
  GATEWAY_CLIENT_OPS,
  GatewayClientOp,
  PLATFORM_INSTRUCTIONS,
  PROTOCOL_LIMITS,
  parseFrame,
} from "../../protocol";
import type { GatewayServerOp } from "../../protocol/gateway";
import { hitWindow, type Window } from "../channel/rate-window";
import { safeClose, safeSend } from "../channel/sockets";
import { unsubscribedFrame } from "./fanout";
import { REPLAY_BUFFER_MAX, readIdent, type SocketIdent, type Sub, SubIndex } from "./subs";
import type { HubItem, Refusal, ReplayFrame, UnsubscribeReason } from "./wire";

type Op<K extends GatewayClientOp["op"]> = Extract<GatewayClientOp, { op: K }>;

/**
 * Channels of one subscribe op asked at the same time. A cold channel object authorises with its own
 * Postgres connection (pool per object): 100 at once took the local stack past its 200 connections with
 * presence writes on top (bench g1); 20 lanes keep the burst bounded and the warm case fast.
 */
export const SUBSCRIBE_LANES = 20;

/**
 * Refused subscriptions per agent per minute (PROTOCOL_LIMITS.gatewayRefusalsPerMinute): one frame names up
 * to 100 channels, each cold refusal costs a query; generous for a client whose saved list holds deleted
 * channels (refused once per channel per reconnect).
 */
export const SUBSCRIBE_REFUSALS_PER_MINUTE = PROTOCOL_LIMITS.gatewayRefusalsPerMinute;

const unavailable: Refusal = { ok: false, code: "unavailable", message: "channel unavailable; retry shortly" };

export class GatewayHub {
  #idx: SubIndex | null = null;
  #idents = new WeakMap<WebSocket, SocketIdent>();
  #abuse = new WeakMap<WebSocket, Window>();
  #chains = new WeakMap<WebSocket, Promise<void>>();
  /** refused subscriptions of this agent in the current minute (public for tests) */
  refusals: Window | undefined;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly env: Bindings,
  ) {}

  #stub(channel: string) {
    return this.env.CHANNEL.get(this.env.CHANNEL.idFromName(channel));
  }

  /** The socket's gateway id and agent; the id is given (in the attachment) on first use. */
  #ident(ws: WebSocket): SocketIdent | null {
    const hit = this.#idents.get(ws);
    if (hit) return hit;
    const r = readIdent(ws);
    if (!r.agentId) return null;
    let sid = r.sid;
    if (!sid) {
      sid = crypto.randomUUID();
      ws.serializeAttachment({ ...r.raw, gw: sid });
      this.#idx?.bySid.set(sid, ws);
    }
    const id = { sid, agentId: r.agentId };
    this.#idents.set(ws, id);
    return id;
  }

  #index(): SubIndex {
    if (this.#idx) return this.#idx;
    const idx = SubIndex.load(this.ctx.storage.sql, this.ctx.getWebSockets(), (ws) => readIdent(ws).sid);
    this.#idx = idx;
    const agentId = this.ctx.storage.kv.get<string>("gw_agent");
    if (agentId) for (const ch of idx.orphans) this.#tellLeft(ch, agentId);
    idx.orphans = [];
    return idx;
  }

  #tellLeft(channel: string, agentId: string): void {
    this.ctx.waitUntil(
      this.#stub(channel)
        .gatewayUnsubscribe(channel, agentId)
        .catch(() => undefined),
    );
  }

  #send(ws: WebSocket, frame: GatewayServerOp): void {
    safeSend(ws, JSON.stringify(frame));
  }

  #error(ws: WebSocket, code: ErrorCode, message: string, channel?: string, extra: Record<string, unknown> = {}): void {
    safeSend(ws, JSON.stringify({ op: "error", code, message, ...(channel ? { channel } : {}), ...extra }));
  }

  /** A socket was accepted: give it its gateway id and the platform tier (the spec's context on connect). */
  opened(ws: WebSocket): void {
    this.#ident(ws);
    this.#send(ws, { op: "context", platform: PLATFORM_INSTRUCTIONS, server: null, channel: null });
  }

  /** A socket closed (or was closed by the hub): its subscriptions end. */
  closed(ws: WebSocket): void {
    // never give a closing socket an id (its attachment may no longer be writable)
    const known = this.#idents.get(ws);
    const r = known ?? readIdent(ws);
    const idx = this.#index();
    for (const ch of idx.drop(ws, r.sid)) if (r.agentId) this.#tellLeft(ch, r.agentId);
  }

  // ---------------------------------------------------------------- client frames
  async message(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const r = parseFrame(data, GatewayClientOp, GATEWAY_CLIENT_OPS);
    if (!r.ok) return this.#reject(ws, r.code, r.message, r.nonce);
    const id = this.#ident(ws);
    if (!id) return safeClose(ws, CLOSE.abuse, "unknown session");
    const op = r.op;
    switch (op.op) {
      case "ping":
        safeSend(ws, '{"op":"pong"}');
        return;
      case "subscribe":
        return this.#serial(ws, () => this.#subscribe(ws, id, op));
      case "unsubscribe":
        return this.#serial(ws, () => this.#unsubscribe(ws, id, op));
      case "message":
        return this.#post(ws, id, op);
      case "typing":
        return this.#typing(ws, id, op);
    }
  }

  #reject(ws: WebSocket, code: ErrorCode, message: string, nonce?: string): void {
    this.#error(ws, code, message, undefined, nonce === undefined ? {} : { nonce });
    const d = hitWindow(this.#abuse.get(ws), Date.now(), PROTOCOL_LIMITS.abuseErrorsPerMinute, 60_000);
    this.#abuse.set(ws, d.next);
    if (!d.allowed) {
      safeClose(ws, CLOSE.abuse, "too many invalid frames");
      this.closed(ws);
    }
  }

  /** Subscribe and unsubscribe ops of one socket run one after the other (sends do not wait). */
  #serial(ws: WebSocket, fn: () => Promise<void>): Promise<void> {
    const next = (this.#chains.get(ws) ?? Promise.resolve()).then(fn).catch((e: unknown) => {
      console.error(JSON.stringify({ level: "error", msg: "gateway op failed", error: String(e) }));
    });
    this.#chains.set(ws, next);
    return next;
  }

  async #subscribe(ws: WebSocket, id: SocketIdent, op: Op<"subscribe">): Promise<void> {
    const after = new Map(Object.entries(op.after_seq ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const channels = [...new Set(op.channels.map((c) => c.toLowerCase()))];
    const stray = [...after.keys()].find((k) => !channels.includes(k));
    if (stray) return this.#reject(ws, "validation_failed", `after_seq names ${stray}, which is not in channels`);
    const idx = this.#index();
    this.ctx.storage.kv.put("gw_agent", id.agentId);
    let room = PROTOCOL_LIMITS.gatewayChannels - idx.channelsOf(ws).size;
    const todo: string[] = [];
    for (const ch of channels) {
      if (!isUuid(ch)) this.#error(ws, "not_found", "channel not found", ch);
      else if (!idx.channelsOf(ws).has(ch) && room-- <= 0) {
        this.#error(
          ws,
          "too_many_channels",
          `a gateway socket subscribes to at most ${PROTOCOL_LIMITS.gatewayChannels} channels`,
          ch,
        );
      } else todo.push(ch);
    }
    // a bounded number in flight: each cold channel object opens its own Postgres connection
    const now = Date.now();
    const over = hitWindow(this.refusals, now, SUBSCRIBE_REFUSALS_PER_MINUTE, 60_000);
    if (!over.allowed) {
      for (const ch of todo) {
        this.#error(ws, "rate_limited", "too many refused subscriptions; retry later", ch, {
          retry_after: over.retryAfter,
        });
      }
      return;
    }
    let next = 0;
    const lane = async () => {
      while (next < todo.length) {
        const ch = todo[next++] as string;
        await this.#subscribeOne(ws, id, ch, after.get(ch) ?? null);
      }
    };
    await Promise.all(Array.from({ length: Math.min(SUBSCRIBE_LANES, todo.length) }, lane));
  }

  async #subscribeOne(ws: WebSocket, id: SocketIdent, ch: string, afterSeq: number | null): Promise<void> {
    const idx = this.#index();
    const before = idx.get(ws, ch);
    // already subscribed without a cursor: carry on from what this socket already has
    const from = afterSeq ?? (before?.live && before.last !== null ? before.last : null);
    const sub: Sub = { live: false, buf: [], last: null };
    idx.set(ws, id.sid, ch, sub);
    const ans = await this.#stub(ch)
      .gatewaySubscribe(ch, id.agentId, from)
      .catch(() => unavailable);
    if (idx.get(ws, ch) !== sub) return; // unsubscribed, re-subscribed or closed meanwhile
    if (!ans.ok) {
      if (idx.delete(ws, id.sid, ch)) this.#tellLeft(ch, id.agentId);
      if (ans.code !== "unavailable") {
        this.refusals = hitWindow(this.refusals, Date.now(), SUBSCRIBE_REFUSALS_PER_MINUTE, 60_000).next;
      }
      return this.#error(ws, ans.code, ans.message, ch);
    }
    this.#send(ws, { op: "subscribed", channel: ch, seq: ans.seq });
    safeSend(ws, ans.context);
    safeSend(ws, ans.presence);
    await this.#catchUp(ws, id, ch, sub, ans.seq, ans.frames, ans.more, afterSeq !== null);
  }

  /**
   * Send replayed frames after `from` (asking the channel for more while it has more), then release the
   * live frames that waited, skipping what the replay sent; `resumed` says the socket is caught up.
   */
  async #catchUp(
    ws: WebSocket,
    id: SocketIdent,
    ch: string,
    sub: Sub,
    from: number,
    first: ReplayFrame[],
    more: boolean,
    announce: boolean,
  ): Promise<void> {
    const idx = this.#index();
    sub.live = false;
    let last = from;
    let frames = first;
    for (;;) {
      for (const f of frames) {
        if (f.seq <= last) continue;
        if (!safeSend(ws, f.data)) return;
        last = f.seq;
      }
      if (!more) break;
      const r = await this.#stub(ch)
        .gatewayReplay(ch, id.agentId, last)
        .catch(() => unavailable);
      if (idx.get(ws, ch) !== sub) return;
      if (!r.ok) return this.#end(ws, id, ch, "unavailable", "replay failed: subscribe again with after_seq");
      frames = r.frames;
      more = r.more;
    }
    sub.last = last;
    sub.live = true;
    const waiting = sub.buf;
    sub.buf = [];
    for (const item of waiting) this.#deliver(ws, id, ch, sub, item);
    if (announce) this.#send(ws, { op: "resumed", channel: ch, seq: sub.last ?? last });
  }

  /** End one socket's subscription from the hub's side and say why. */
  #end(ws: WebSocket, id: SocketIdent, ch: string, reason: UnsubscribeReason, message: string): void {
    if (this.#index().delete(ws, id.sid, ch)) this.#tellLeft(ch, id.agentId);
    safeSend(ws, unsubscribedFrame(ch, reason, message));
  }

  async #unsubscribe(ws: WebSocket, id: SocketIdent, op: Op<"unsubscribe">): Promise<void> {
    const idx = this.#index();
    for (const ch of new Set(op.channels.map((c) => c.toLowerCase()))) {
      if (idx.delete(ws, id.sid, ch)) this.#tellLeft(ch, id.agentId);
      this.#send(ws, { op: "unsubscribed", channel: ch, reason: "requested" });
    }
  }

  async #post(ws: WebSocket, id: SocketIdent, op: Op<"message">): Promise<void> {
    const ch = op.channel.toLowerCase();
    const nonce = op.nonce ?? null;
    if (!isUuid(ch)) return this.#error(ws, "not_found", "channel not found", ch, { nonce });
    const ans = await this.#stub(ch)
      .gatewayPost(ch, id.agentId, id.sid, {
        content: op.content,
        content_type: op.content_type,
        reply_to: op.reply_to ?? null,
        nonce,
      })
      .catch(() => unavailable);
    if (!ans.ok) {
      const extra = { nonce, ...(ans.retry_after !== undefined ? { retry_after: ans.retry_after } : {}) };
      this.#error(ws, ans.code, ans.message, ch, extra);
    }
  }

  async #typing(ws: WebSocket, id: SocketIdent, op: Op<"typing">): Promise<void> {
    const ch = op.channel.toLowerCase();
    if (!isUuid(ch)) return this.#error(ws, "not_found", "channel not found", ch);
    const ans = await this.#stub(ch)
      .gatewayTyping(ch, id.agentId)
      .catch(() => unavailable);
    if (!ans.ok) this.#error(ws, ans.code, ans.message, ch);
  }

  // ---------------------------------------------------------------- frames from channel objects
  /** RPC from a channel object: frames in its order. False when no socket here subscribes to it any more. */
  frames(ch: string, items: readonly HubItem[]): boolean {
    const idx = this.#index();
    for (const item of items) {
      if (item.to !== undefined) {
        const ws = idx.bySid.get(item.to);
        if (!ws) continue;
        const sub = idx.get(ws, ch);
        if (sub && !sub.live) sub.buf.push(item);
        else safeSend(ws, item.d);
        continue;
      }
      const subs = idx.subs.get(ch);
      if (!subs) continue;
      for (const [ws, sub] of [...subs]) {
        const id = this.#ident(ws);
        // a socket closed by the hub without a close event (e.g. revoked): its subscriptions go now
        if (!id || ws.readyState > WebSocket.OPEN) {
          this.closed(ws);
          continue;
        }
        if (item.end) {
          idx.delete(ws, id.sid, ch);
          safeSend(ws, item.d);
          if (item.end === "unauthorized") {
            safeClose(ws, CLOSE.unauthorized, "the agent is no longer active");
            this.closed(ws);
          }
        } else this.#deliver(ws, id, ch, sub, item);
      }
    }
    return (idx.subs.get(ch)?.size ?? 0) > 0;
  }

  #deliver(ws: WebSocket, id: SocketIdent, ch: string, sub: Sub, item: HubItem): void {
    if (!sub.live) {
      sub.buf.push(item);
      if (sub.buf.length > REPLAY_BUFFER_MAX) {
        this.#end(ws, id, ch, "unavailable", "too far behind: subscribe again with after_seq");
      }
      return;
    }
    if (item.s !== undefined) {
      if (sub.last !== null && item.s <= sub.last) return; // already sent (a replay overlapped it)
      if (sub.last !== null && item.s > sub.last + 1) {
        // a gap: fetch what is missing from the channel first; this frame waits its turn
        sub.buf.push(item);
        this.ctx.waitUntil(this.#catchUp(ws, id, ch, sub, sub.last, [], true, false));
        return;
      }
      sub.last = item.s;
    }
    safeSend(ws, item.d);
  }
}
