// A relay object of the fan-out tier (issue 25, docs/SCALE.md "The relay tier"): holds read-only viewer
// sockets (observers, anonymous viewers) of one channel and sends them the channel's frames, which the
// channel object pushes here in ordered batches (durable-objects/relay/router.ts). One object per
// (channel, k), named `relay:<channel>:<k>`. Access is decided by the channel object before it hands
// the upgrade over; this object never reads Postgres: resumes and gap fills are asked of the channel object
// (relayReplay), which answers them as it answers its own sockets.
//
// Order and resume by seq: live frames go out in the order the channel sent them; a message whose seq
// is more than one past the last one seen means a batch was dropped, and the gap is fetched from the
// channel before anything newer is sent. A socket replaying (after_seq, `resume`) gets live frames only
// after its replay, skipping seqs the replay already sent, then `resumed {seq}` — as on a channel socket.
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../../common/env";
import { RATE, SOCKET_LIMITS } from "../../common/limits";
import { checkRate } from "../../common/rate";
import {
  CLOSE,
  FRAMES_BATCH,
  FRAMES_PARAM,
  PROTOCOL_LIMITS,
  parseClientFrame,
  type ServerOp,
  SUBPROTOCOL,
} from "../../protocol";
import { UnreadLedger } from "../channel/backpressure";
import { hitWindow, type Window } from "../channel/rate-window";
import { BATCH_TAG, batchFrames, type OutFrame, Receivers } from "../channel/receivers";
import { closeReason, replyToClose, safeClose, safeSend } from "../channel/sockets";
import { RELAY_HEADERS, type RelayHello, type RelayItem, type RelayReplay } from "./wire";

interface RelayAttachment {
  v: 1;
  kind: "observer" | "anonymous";
  id: string | null;
  net: string;
  connectedAt: number;
}

const isAttachment = (x: unknown): x is RelayAttachment =>
  typeof x === "object" && x !== null && (x as { v?: unknown }).v === 1;

export class ChannelRelay extends DurableObject<Bindings> {
  #channelId: string | null = null;
  /** the last message seq sent live (null after waking: the next one sets it) */
  #last: number | null = null;
  /** sockets replaying: live frames wait here */
  #resuming = new Map<WebSocket, OutFrame[]>();
  #resumes = new WeakMap<WebSocket, Window>();
  /** the channel's `context` (and presence) frames, for the context version they were fetched at */
  #hello: { version: string; hello: Promise<RelayHello> } | null = null;
  /** the latest `presence` frame: from relayHello, then from every presence broadcast */
  #presence: string | null = null;
  #abuse = new WeakMap<WebSocket, Window>();
  readonly #ledger = new UnreadLedger(
    SOCKET_LIMITS.unreadBytes,
    (ws) => this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? null,
  );
  /** every socket here receives the channel's broadcasts: listed once, rebuilt when one leaves (issue 25) */
  readonly #receivers = new Receivers(
    (tag) => (tag === null ? this.ctx.getWebSockets() : this.ctx.getWebSockets(tag)),
    null,
    this.#ledger,
    () => Date.now(),
    (ws) => this.#gone(ws),
  );

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"op":"ping"}', '{"op":"pong"}'));
  }

  #channel(): string {
    this.#channelId ??= (this.ctx.storage.kv.get<string>("channel") as string | undefined) ?? null;
    if (!this.#channelId) throw new Error("relay used before its first socket");
    return this.#channelId;
  }

  #channelStub() {
    return this.env.CHANNEL.get(this.env.CHANNEL.idFromName(this.#channel()));
  }

  // ---------------------------------------------------------------- upgrade (from the channel object only)
  override async fetch(req: Request): Promise<Response> {
    const channelId = req.headers.get(RELAY_HEADERS.channel);
    const kind = req.headers.get(RELAY_HEADERS.kind);
    const clientKey = req.headers.get(RELAY_HEADERS.clientKey);
    if (!channelId || (kind !== "observer" && kind !== "anonymous") || !clientKey) {
      return Response.json({ error: { code: "bad_request", message: "bad internal request" } }, { status: 400 });
    }
    if (this.#channelId !== channelId) {
      this.#channelId = channelId;
      this.ctx.storage.kv.put("channel", channelId);
    }
    // the per-client cap holds here exactly: one client always hashes to the same relay
    const ownTag = `client:${clientKey.slice(0, 200)}`;
    const cap = SOCKET_LIMITS.viewerSocketsPerChannel;
    if (this.ctx.getWebSockets(ownTag).length >= cap) {
      return Response.json(
        {
          error: {
            code: "rate_limited",
            message: `at most ${cap} open sockets per ${kind === "observer" ? "observer" : "network"} in one channel`,
          },
        },
        { status: 429, headers: { "Retry-After": "60" } },
      );
    }
    const url = new URL(req.url);
    const afterRaw = url.searchParams.get("after_seq");
    const afterSeq = afterRaw !== null && /^\d{1,15}$/.test(afterRaw) ? Number(afterRaw) : null;
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const att: RelayAttachment = {
      v: 1,
      kind,
      id: req.headers.get(RELAY_HEADERS.subject) || null,
      net: req.headers.get(RELAY_HEADERS.net) || "unknown",
      connectedAt: Date.now(),
    };
    let context: string;
    try {
      const hello = await this.#helloFor(req.headers.get(RELAY_HEADERS.contextVersion) ?? "");
      context = hello.context;
      this.#presence ??= hello.presence;
    } catch {
      this.#hello = null;
      return Response.json(
        { error: { code: "database_unavailable", message: "could not reach the channel; retry" } },
        { status: 503, headers: { "Retry-After": "1" } },
      );
    }
    // issue 25: frames ready together come as one `batch` frame to clients that ask (protocol/ops.ts BatchOp)
    const batch = url.searchParams.get(FRAMES_PARAM) === FRAMES_BATCH;
    this.ctx.acceptWebSocket(server, batch ? [ownTag, BATCH_TAG] : [ownTag]);
    this.#receivers.accepted(server, batch);
    server.serializeAttachment(att);
    safeSend(server, context);
    if (this.#presence) safeSend(server, this.#presence);
    await this.#scheduleCap(att.connectedAt + PROTOCOL_LIMITS.sessionMaxSeconds * 1000);
    if (afterSeq !== null && (await this.#mayReplay(server, att))) this.#replay(server, afterSeq);
    // which relay holds the socket (the bench counts sockets held by relays; harmless to clients)
    const headers = new Headers({ "x-moltstack-relay": req.headers.get(RELAY_HEADERS.index) ?? "" });
    // the Worker's INTERNAL.subprotocol header (channel-room.ts), forwarded by the channel object
    if (req.headers.get("x-molt-subprotocol") === "1") {
      headers.set("Sec-WebSocket-Protocol", SUBPROTOCOL);
    }
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /** The channel's hello for `version`, asked once per version (concurrent connects share the call). */
  #helloFor(version: string): Promise<RelayHello> {
    if (this.#hello?.version !== version) {
      this.#hello = { version, hello: this.#channelStub().relayHello(this.#channel()) };
    }
    return this.#hello.hello;
  }

  // ---------------------------------------------------------------- RPC from the channel object
  /** A batch of the channel's frames, in its order. Returns how many sockets this relay holds. */
  async frames(channelId: string, items: RelayItem[]): Promise<number> {
    if (this.#channelId === null) this.#channelId = channelId;
    // the whole call goes out as one run (issue 25): one `batch` frame to sockets that negotiated it
    const out: OutFrame[] = [];
    for (const it of items) {
      if (it.s !== undefined) {
        if (this.#last !== null && it.s <= this.#last) continue; // a retried batch: already sent
        if (this.#last !== null && it.s > this.#last + 1) await this.#fillGap(this.#last, it.s, out);
        this.#last = it.s;
      } else if (it.d.startsWith('{"op":"presence"')) this.#presence = it.d;
      out.push({ seq: it.s ?? null, data: it.d });
    }
    if (out.length) this.#receivers.send(out, this.#resuming);
    return this.#receivers.list().length;
  }

  /** Close every socket (the channel was deleted, or who may read it changed). */
  async closeAll(code: number, reason: string): Promise<number> {
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) safeClose(ws, code, closeReason(reason));
    this.#resuming.clear();
    this.#receivers.invalidate();
    return sockets.length;
  }

  /** Messages after `from` and before `upTo` that a dropped batch carried, from the channel object, into `out`. */
  async #fillGap(from: number, upTo: number, out: OutFrame[]): Promise<void> {
    let last = from;
    while (last < upTo - 1) {
      let r: RelayReplay;
      try {
        r = await this.#channelStub().relayReplay(this.#channel(), last, null);
      } catch {
        return; // the live frame still goes out; clients see the gap and resume
      }
      let progressed = false;
      for (const f of r.frames) {
        if (f.seq <= last || f.seq >= upTo) continue;
        out.push({ seq: f.seq, data: f.data });
        last = f.seq;
        progressed = true;
      }
      if (!progressed) return;
    }
  }

  #send(ws: WebSocket, data: string): boolean {
    if (!this.#ledger.sent(ws, data.length, Date.now())) {
      safeClose(ws, CLOSE.slowReader, "not reading: reconnect and resume");
      this.#gone(ws);
      return false;
    }
    return safeSend(ws, data);
  }

  /** A run of frames to one socket: `batch` frames when it negotiated them (issue 25), else one by one. */
  #sendRun(ws: WebSocket, frames: readonly OutFrame[]): boolean {
    if (frames.length > 1 && this.ctx.getTags(ws).includes(BATCH_TAG)) {
      for (const b of batchFrames(frames.map((f) => f.data))) if (!this.#send(ws, b)) return false;
      return true;
    }
    for (const f of frames) if (!this.#send(ws, f.data)) return false;
    return true;
  }

  /** A socket left (closed, failed, or closed here): forget its replay; the receiver list is rebuilt. */
  #gone(ws: WebSocket): void {
    this.#resuming.delete(ws);
    this.#receivers.invalidate();
  }

  // ---------------------------------------------------------------- replays
  async #mayReplay(ws: WebSocket, att: RelayAttachment): Promise<boolean> {
    const d = hitWindow(this.#resumes.get(ws), Date.now(), SOCKET_LIMITS.resumesPerMinute, 60_000);
    this.#resumes.set(ws, d.next);
    const refuse = (message: string, retryAfter: number) => {
      safeSend(
        ws,
        JSON.stringify({ op: "error", code: "rate_limited", message, retry_after: retryAfter } satisfies ServerOp),
      );
      return false;
    };
    if (!d.allowed)
      return refuse(`at most ${SOCKET_LIMITS.resumesPerMinute} resumes a minute per socket`, d.retryAfter);
    const r = await checkRate(this.env, RATE.viewerReplays, `ip:${att.net}`);
    if (!r.allowed)
      return refuse(`at most ${RATE.viewerReplays.limit} replays a minute from one network`, r.retryAfter);
    return true;
  }

  #replay(ws: WebSocket, afterSeq: number): void {
    if (this.#resuming.has(ws)) return;
    this.#resuming.set(ws, []);
    this.ctx.waitUntil(this.#runReplay(ws, afterSeq));
  }

  async #runReplay(ws: WebSocket, afterSeq: number): Promise<void> {
    let r: RelayReplay;
    try {
      r = await this.#channelStub().relayReplay(this.#channel(), afterSeq, SOCKET_LIMITS.viewerReplayMessages);
    } catch {
      safeSend(ws, JSON.stringify({ op: "error", code: "unavailable", message: "resume failed; send resume again" }));
      const buf = this.#resuming.get(ws) ?? [];
      this.#resuming.delete(ws);
      this.#sendRun(ws, buf);
      return;
    }
    if (!this.#sendRun(ws, r.frames)) return;
    let last = r.last;
    const buf = this.#resuming.get(ws) ?? [];
    this.#resuming.delete(ws);
    const live: OutFrame[] = [];
    for (const f of buf) {
      if (f.seq !== null && f.seq <= last) continue;
      live.push(f);
      if (f.seq !== null) last = f.seq;
    }
    if (!this.#sendRun(ws, live)) return;
    const resumed: ServerOp =
      r.from !== undefined ? { op: "resumed", seq: last, from_seq: r.from } : { op: "resumed", seq: last };
    safeSend(ws, JSON.stringify(resumed));
  }

  // ---------------------------------------------------------------- socket events
  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    this.#ledger.alive(ws, Date.now());
    const att = ws.deserializeAttachment();
    if (!isAttachment(att)) return safeClose(ws, CLOSE.abuse, "unknown session");
    const parsed = parseClientFrame(data);
    if (!parsed.ok) return this.#reject(ws, parsed.code, parsed.message, parsed.nonce ?? null);
    switch (parsed.op.op) {
      case "ping":
        safeSend(ws, '{"op":"pong"}');
        return;
      case "resume":
        if (await this.#mayReplay(ws, att)) this.#replay(ws, parsed.op.after_seq);
        return;
      case "typing":
        return this.#reject(ws, "read_only", "this connection is read-only", null);
      case "message":
        return this.#reject(ws, "read_only", "observers and anonymous viewers are read-only", parsed.op.nonce ?? null);
    }
  }

  #reject(ws: WebSocket, code: ServerOpErrorCode, message: string, nonce: string | null): void {
    safeSend(ws, JSON.stringify({ op: "error", code, message, nonce } satisfies ServerOp));
    const d = hitWindow(this.#abuse.get(ws), Date.now(), PROTOCOL_LIMITS.abuseErrorsPerMinute, 60_000);
    this.#abuse.set(ws, d.next);
    if (!d.allowed) safeClose(ws, CLOSE.abuse, "too many invalid frames");
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    replyToClose(ws, code);
    this.#gone(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#gone(ws);
  }

  // ---------------------------------------------------------------- the 4-hour session cap
  async #scheduleCap(at: number): Promise<void> {
    const cur = await this.ctx.storage.getAlarm();
    if (cur === null || cur > at) await this.ctx.storage.setAlarm(at);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    const cap = PROTOCOL_LIMITS.sessionMaxSeconds * 1000;
    let next: number | null = null;
    for (const ws of this.ctx.getWebSockets()) {
      const att = ws.deserializeAttachment();
      if (!isAttachment(att)) continue;
      if (now >= att.connectedAt + cap) {
        safeClose(ws, CLOSE.sessionLimit, "session limit of 4 hours reached; reconnect and resume");
        this.#gone(ws);
      } else if (next === null || att.connectedAt + cap < next) next = att.connectedAt + cap;
    }
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }
}

type ServerOpErrorCode = Extract<ServerOp, { op: "error" }>["code"];
