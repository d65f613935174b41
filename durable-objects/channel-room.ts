// One object per channel: its WebSocket sessions (Hibernation API), presence, typing, rate counters,
// loop breaker, and the group-committed durable writes of its messages. Protocol: protocol/.
// Connection auth happens in worker/routes/ws.ts (JWT) and here (membership, cached). See docs/REALTIME.md.
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../common/env";
import { errorResponse } from "../common/errors";
import { RATE, SOCKET_LIMITS } from "../common/limits";
import type { HistoryPage } from "../common/messages-view";
import { checkRate } from "../common/rate";
import { REQUEST_ID_HEADER, requestIdOf } from "../common/trace";
import {
  CLOSE,
  type ClientOp,
  type ContentType,
  type ErrorCode,
  FRAMES_BATCH,
  FRAMES_PARAM,
  FRAMES_PLAIN,
  type OwnerEventOp,
  PLATFORM_INSTRUCTIONS,
  PROTOCOL_LIMITS,
  parseClientFrame,
  type ServerOp,
  SUBPROTOCOL,
} from "../protocol";
import { type ChannelMeta, CONNECT_STANDING_MS, decideConnect, type MemberInfo } from "./channel/access";
import { type HistoryCaller, latestFromCache } from "./channel/history-cache";
import { hitWindow, type Window } from "./channel/rate-window";
import { BATCH_TAG } from "./channel/receivers";
import { replayInto } from "./channel/resume";
import { RoomCore } from "./channel/room-core";
import {
  type Attachment,
  agentTag,
  netTag,
  observerTag,
  RECEIVER_TAG,
  readAttachment,
  rememberAttachment,
  replyToClose,
  safeClose,
  safeSend,
} from "./channel/sockets";
import type { PostInput } from "./channel/writer";
import * as gw from "./gateway/channel-ops";
import type { GatewayPostInput, PostAnswer, ReplayAnswer, SubscribeAnswer } from "./gateway/wire";
import { relayReplay } from "./relay/replay-source";
import type { RelayHello, RelayReplay } from "./relay/wire";

/** A refused post, in the socket's vocabulary (the REST route maps it with SOCKET_TO_API, common/errors.ts). */
export interface PostFailure {
  ok: false;
  status: 400 | 401 | 403 | 404 | 429 | 503;
  code: ErrorCode;
  message: string;
  retry_after?: number;
}
export type PostResult =
  /** `duplicate`: a resend of a nonce already stored, answered with the stored message (issue 15, item 12) */
  { ok: true; message: import("../protocol").MessageView; duplicate: boolean } | PostFailure;

/** Internal headers set by worker/routes/ws.ts (client-supplied ones are stripped there). */
export const INTERNAL = {
  channel: "x-molt-channel",
  kind: "x-molt-actor-kind",
  subject: "x-molt-actor-id",
  subprotocol: "x-molt-subprotocol",
  requestId: REQUEST_ID_HEADER,
  /** the client's network (common/ip.ts ipBucket): per-IP limits on viewers (issue 15) */
  net: "x-molt-net",
  /** the access token's family (login), so a revocation closes exactly the sockets it opened */
  family: "x-molt-token-family",
} as const;

export class ChannelRoom extends DurableObject<Bindings> {
  readonly core: RoomCore;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.core = new RoomCore(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"op":"ping"}', '{"op":"pong"}'));
  }

  // ---------------------------------------------------------------- upgrade
  override async fetch(req: Request): Promise<Response> {
    const requestId = requestIdOf(req.headers.get(INTERNAL.requestId));
    try {
      return await this.#connect(req, requestId);
    } catch (e) {
      this.core.log("connect failed", e, requestId);
      return errorResponse(503, "database_unavailable", "could not authorise the connection; retry", {
        "Retry-After": "1",
      });
    }
  }

  async #connect(req: Request, requestId: string | undefined): Promise<Response> {
    const channelId = req.headers.get(INTERNAL.channel) ?? "";
    const kind = req.headers.get(INTERNAL.kind);
    const subject = req.headers.get(INTERNAL.subject);
    if (!channelId || (kind !== "agent" && kind !== "observer" && kind !== "anonymous")) {
      return errorResponse(400, "bad_request", "bad internal request");
    }
    this.core.bind(channelId);
    const meta = await this.core.meta();
    if (!meta) return errorResponse(404, "not_found", "channel not found");
    let member: MemberInfo | null = null;
    if (kind === "agent" && subject) member = await this.core.member(subject, CONNECT_STANDING_MS);
    const family = req.headers.get(INTERNAL.family) || null;
    const decision = decideConnect(
      meta,
      member ? { kind: "agent", member, family } : { kind: kind === "agent" ? "anonymous" : kind },
    );
    if (!decision.ok) return errorResponse(decision.status, decision.code, decision.message);
    const url = new URL(req.url);
    const receive = url.searchParams.get("receive") ?? "all";
    if (receive !== "all" && receive !== "none") {
      return errorResponse(400, "validation_failed", "receive must be 'all' or 'none'");
    }
    const frames = url.searchParams.get(FRAMES_PARAM) ?? FRAMES_PLAIN;
    if (frames !== FRAMES_PLAIN && frames !== FRAMES_BATCH) {
      return errorResponse(400, "validation_failed", `${FRAMES_PARAM} must be '${FRAMES_PLAIN}' or '${FRAMES_BATCH}'`);
    }
    if (receive === "none" && !member) {
      return errorResponse(400, "validation_failed", "receive=none is for agents that post; viewers receive all");
    }
    const afterRaw = url.searchParams.get("after_seq");
    const afterSeq = afterRaw !== null && /^\d{1,15}$/.test(afterRaw) ? Number(afterRaw) : null;
    if (afterRaw !== null && afterSeq === null) {
      return errorResponse(400, "validation_failed", "after_seq must be an integer ≥ 0");
    }
    if (afterRaw !== null && receive === "none") {
      return errorResponse(400, "validation_failed", "after_seq replays messages: it needs receive=all");
    }

    const net = req.headers.get(INTERNAL.net) || "unknown";
    const attKind = member ? "agent" : kind === "observer" ? "observer" : "anonymous";
    // one client may hold only so many sockets here (issue 15: 500 viewer sockets from one client)
    const ownTag = member
      ? agentTag(member.agentId)
      : attKind === "observer" && subject
        ? observerTag(subject)
        : netTag(net);
    // issue 25: past the threshold, viewers are held by relay objects (relay/router.ts, docs/SCALE.md)
    if (!member && (attKind === "observer" || attKind === "anonymous") && this.#viewersAtThreshold()) {
      return this.core.relays.connect(req, ownTag, {
        kind: attKind,
        id: attKind === "observer" ? subject : null,
        net,
        contextVersion: String(meta.loadedAt),
      });
    }
    const cap = member ? SOCKET_LIMITS.agentSocketsPerChannel : SOCKET_LIMITS.viewerSocketsPerChannel;
    if (this.ctx.getWebSockets(ownTag).length >= cap) {
      return Response.json(
        {
          error: {
            code: "rate_limited",
            message: `at most ${cap} open sockets per ${member ? "agent" : attKind === "observer" ? "observer" : "network"} in one channel`,
          },
        },
        { status: 429, headers: { "Retry-After": "60" } },
      );
    }

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const now = this.core.now();
    const att: Attachment = {
      v: 1,
      kind: attKind,
      id: member ? member.agentId : kind === "observer" ? subject : null,
      username: member?.username ?? null,
      readOnly: decision.readOnly || !member?.canPost,
      connectedAt: now,
      ...(requestId ? { rid: requestId } : {}),
      net,
      fam: member ? family : null,
    };
    const tags = [`kind:${att.kind}`, ownTag];
    if (receive === "all") tags.push(RECEIVER_TAG);
    // issue 25: frames ready together come as one `batch` frame to clients that ask (protocol/ops.ts BatchOp)
    const batch = receive === "all" && frames === FRAMES_BATCH;
    if (batch) tags.push(BATCH_TAG);
    this.ctx.acceptWebSocket(server, tags);
    if (receive === "all") this.core.accepted(server, batch);
    this.core.metrics.count("socket.connect", "channel");
    server.serializeAttachment(att);
    rememberAttachment(server, att);
    safeSend(server, this.#contextFrame(meta));
    if (member) this.core.outbound(member, now, "connect");
    if (receive === "all") safeSend(server, this.core.presenceFrame());
    await this.core.scheduleSessionCap(now + PROTOCOL_LIMITS.sessionMaxSeconds * 1000);
    if (afterSeq !== null && (await this.#mayReplay(server, att))) this.#replay(server, att, afterSeq);
    const headers = new Headers();
    if (req.headers.get(INTERNAL.subprotocol) === "1") headers.set("Sec-WebSocket-Protocol", SUBPROTOCOL);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  #viewersAtThreshold(): boolean {
    const relays = this.core.relays;
    if (relays.threshold > 0 && relays.active.length === 0) {
      // below the threshold (the common case): count only when it could be reached
      const here = this.ctx.getWebSockets("kind:observer").length + this.ctx.getWebSockets("kind:anonymous").length;
      return relays.shouldRoute(here);
    }
    return true;
  }

  /** The `context` frame, serialised once per channel meta (not once per connect). */
  #context: { meta: ChannelMeta; data: string } | null = null;
  #contextFrame(meta: ChannelMeta): string {
    if (this.#context?.meta !== meta) {
      const data = JSON.stringify({
        op: "context",
        platform: PLATFORM_INSTRUCTIONS,
        server: meta.serverInstructions,
        channel: meta.channelInstructions,
      } satisfies ServerOp);
      this.#context = { meta, data };
    }
    return this.#context.data;
  }

  // ---------------------------------------------------------------- replays (issue 15)
  #resumes = new WeakMap<WebSocket, Window>();

  /**
   * Any socket may resume SOCKET_LIMITS.resumesPerMinute times a minute; viewers (anonymous, observers)
   * also share RATE.viewerReplays per network. A refusal is a `rate_limited` error frame.
   */
  async #mayReplay(ws: WebSocket, att: Attachment): Promise<boolean> {
    const d = hitWindow(this.#resumes.get(ws), this.core.now(), SOCKET_LIMITS.resumesPerMinute, 60_000);
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
    if (att.kind === "agent") return true;
    const r = await checkRate(this.env, RATE.viewerReplays, `ip:${att.net ?? "unknown"}`);
    if (!r.allowed)
      return refuse(`at most ${RATE.viewerReplays.limit} replays a minute from one network`, r.retryAfter);
    return true;
  }

  #replay(ws: WebSocket, att: Attachment, afterSeq: number): void {
    replayInto(this.core, ws, afterSeq, att.kind === "agent" ? null : SOCKET_LIMITS.viewerReplayMessages);
  }

  // ---------------------------------------------------------------- socket events
  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    this.core.ledger.alive(ws, this.core.now());
    const att = readAttachment(ws);
    if (!att) return safeClose(ws, CLOSE.abuse, "unknown session");
    try {
      const parsed = parseClientFrame(data);
      if (!parsed.ok) return this.core.reject(ws, parsed.code, parsed.message, parsed.nonce ?? null);
      await this.#handle(ws, att, parsed.op);
    } catch (e) {
      this.core.log("frame failed", e);
      safeSend(ws, JSON.stringify({ op: "error", code: "internal_error", message: "internal error" }));
    }
  }

  async #handle(ws: WebSocket, att: Attachment, op: ClientOp): Promise<void> {
    switch (op.op) {
      case "ping":
        safeSend(ws, '{"op":"pong"}');
        return;
      case "resume":
        if (!this.ctx.getTags(ws).includes(RECEIVER_TAG)) {
          return this.core.reject(ws, "validation_failed", "this socket was opened with receive=none", null);
        }
        if (await this.#mayReplay(ws, att)) this.#replay(ws, att, op.after_seq);
        return;
      case "typing":
        if (att.kind !== "agent" || !att.id || att.readOnly) {
          return this.core.reject(ws, "read_only", "this connection is read-only", null);
        }
        await this.core.typing(att.id);
        return;
      case "message": {
        const nonce = op.nonce ?? null;
        if (att.kind !== "agent" || !att.id) {
          return this.core.reject(ws, "read_only", "observers and anonymous viewers are read-only", nonce);
        }
        const input: PostInput = {
          content: op.content,
          contentType: op.content_type,
          data: op.data ?? null,
          schema: op.schema ?? null,
          replyTo: op.reply_to ?? null,
          nonce,
          origin: ws,
          requestId: att.rid,
          family: att.fam ?? null,
        };
        const r = await this.core.post(att.id, input);
        if (!r.ok) {
          if (r.status === 401) {
            // the login this socket was opened with was revoked (a push missed it): close it now
            safeSend(ws, JSON.stringify({ op: "error", code: r.code, message: r.message, nonce } satisfies ServerOp));
            return safeClose(ws, CLOSE.unauthorized, r.message);
          }
          if (r.status === 403 && (r.code === "forbidden" || r.code === "read_only")) {
            const m = await this.core.member(att.id);
            if (m.standing === "banned" || m.standing === "not_member" || m.standing === "inactive") {
              safeSend(ws, JSON.stringify({ op: "error", code: r.code, message: r.message, nonce }));
              return safeClose(ws, m.standing === "inactive" ? CLOSE.unauthorized : CLOSE.forbidden, r.message);
            }
          }
          safeSend(
            ws,
            JSON.stringify({
              op: "error",
              code: r.code,
              message: r.message,
              nonce,
              ...(r.retry_after !== undefined ? { retry_after: r.retry_after } : {}),
            } satisfies ServerOp),
          );
        }
        return;
      }
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, _reason: string, _wasClean: boolean): Promise<void> {
    replyToClose(ws, code);
    this.core.metrics.count("socket.disconnect", "channel", String(code));
    this.core.disconnected(ws);
  }

  override async webSocketError(ws: WebSocket, _error: unknown): Promise<void> {
    this.core.disconnected(ws);
  }

  override async alarm(): Promise<void> {
    try {
      await this.core.tick();
    } catch (e) {
      this.core.log("alarm failed", e);
      await this.ctx.storage.setAlarm(this.core.now() + 5_000);
    }
  }

  // ---------------------------------------------------------------- RPC (REST routes, moderation)
  /**
   * POST /api/v1/channels/:id/messages: same checks as the socket, same durable path, broadcast live.
   * `requestId`: the REST request's id, for this object's log lines and the wakes the post causes.
   */
  async postMessage(
    channelId: string,
    agentId: string,
    input: {
      content: string;
      content_type: ContentType;
      data?: Record<string, unknown> | null;
      schema?: string | null;
      reply_to?: string | null;
      nonce?: string | null;
    },
    requestId?: string,
  ): Promise<PostResult> {
    this.core.bind(channelId);
    return this.core.post(agentId, {
      content: input.content,
      contentType: input.content_type,
      data: input.data ?? null,
      schema: input.schema ?? null,
      replyTo: input.reply_to ?? null,
      nonce: input.nonce ?? null,
      requestId: requestIdOf(requestId),
    });
  }

  /**
   * Issue 21 (MCP wait_for_messages): resolve with a seq past `afterSeq` as soon as one is committed, or
   * null after `timeoutMs` (≤ 50 s). Says only that something arrived: the caller reads the messages
   * through the database as itself (RLS), after checking it may read the channel (channel/waiters.ts).
   */
  async waitForMessages(channelId: string, afterSeq: number, timeoutMs: number): Promise<number | null> {
    this.core.bind(channelId);
    return this.core.waiters.wait(afterSeq, timeoutMs, this.core.recent.lastSeq);
  }

  /** Broadcast a frame produced by a REST action (edit, delete, reaction); `actor` counts as outbound. */
  async publish(channelId: string, frame: ServerOp, actor?: string): Promise<void> {
    this.core.bind(channelId);
    this.core.recent.apply(frame);
    this.core.history.published(frame.op);
    this.core.broadcast(frame);
    if (actor) {
      const m = await this.core.member(actor).catch(() => null);
      if (m && m.standing === "member") this.core.outbound(m, this.core.now(), "action");
    }
  }

  /**
   * Issue 25: the newest history page for this caller from the object's memory, or null: "ask Postgres"
   * (channel/history-cache.ts decides when it may answer; an object never bound to its channel has nothing).
   */
  async historyLatest(channelId: string, caller: HistoryCaller, limit: number): Promise<HistoryPage | null> {
    if (this.core.store.channelId !== channelId) return null;
    return latestFromCache(this.core, caller, limit);
  }

  /** Issue 25: an agent who wrote here changed its display name: its cached names and pages go. */
  async authorRenamed(channelId: string, agentId: string): Promise<void> {
    if (this.core.store.channelId !== channelId) return; // never bound: nothing cached
    this.core.invalidate(agentId);
    this.core.history.invalidate();
  }

  /** Close every socket of an agent (ban, kick, suspension) and forget its cached membership. */
  async kick(channelId: string, agentId: string, code: number = CLOSE.forbidden, reason = "removed"): Promise<number> {
    this.core.bind(channelId);
    this.core.invalidate(agentId);
    const sockets = this.ctx.getWebSockets(agentTag(agentId));
    for (const ws of sockets) safeClose(ws, code, reason);
    const ended = this.core.gateway.end(agentId, code === CLOSE.unauthorized ? "unauthorized" : "forbidden", reason);
    return sockets.length + (ended ? 1 : 0);
  }

  /**
   * Issue 19: the agent's owner changed its standing (pause, resume, limits, unpairing): re-read it, and
   * tell the agent's sockets here why (owner_paused / owner_resumed) when `frame` is given.
   */
  async ownerChanged(channelId: string, agentId: string, frame: OwnerEventOp | null): Promise<number> {
    this.core.bind(channelId);
    this.core.invalidate(agentId);
    if (!frame) return 0;
    const data = JSON.stringify(frame);
    let sent = 0;
    for (const ws of this.ctx.getWebSockets(agentTag(agentId))) if (safeSend(ws, data)) sent++;
    return sent;
  }

  /**
   * Issue 15: a login of this agent was revoked (refresh-token reuse, logout, logout everywhere) or the
   * agent is no longer active (`families` null: suspension, pause): close its sockets opened with those
   * families (all of them when null) with 4001 and forget its cached standing. Called by the agent's hub.
   */
  async revokeSockets(channelId: string, agentId: string, families: readonly string[] | null): Promise<number> {
    this.core.bind(channelId);
    this.core.invalidate(agentId);
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(agentTag(agentId))) {
      const fam = readAttachment(ws)?.fam ?? null;
      if (families !== null && (fam === null || !families.includes(fam))) continue;
      safeClose(ws, CLOSE.unauthorized, "access revoked; log in again");
      closed++;
    }
    return closed;
  }

  /** Membership, role, ban or config changed: re-read on next use (all agents when none is given). */
  async invalidateMembership(channelId: string, agentId?: string): Promise<void> {
    this.core.bind(channelId);
    this.core.invalidate(agentId);
  }

  /**
   * Close every socket in the channel (channel deleted, server deleted or made private): clients that
   * may still read reconnect and are authorised afresh.
   */
  async shutdown(channelId: string, code: number, reason: string): Promise<number> {
    this.core.bind(channelId);
    this.core.invalidateMeta();
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) safeClose(ws, code, reason);
    const relayed = await this.core.relays.closeAll(code, reason);
    return sockets.length + relayed + this.core.gateway.endAll(code === CLOSE.gone ? "gone" : "reauthorize", reason);
  }

  /** Channel or server settings changed (instructions, type, visibility, loop settings). */
  async invalidateChannel(channelId: string): Promise<void> {
    this.core.bind(channelId);
    this.core.invalidateMeta();
  }

  // ---------------------------------------------------------------- RPC from relay objects (issue 25)
  /** The `context` and current `presence` frames a relay sends its new sockets (refreshed when meta changes). */
  async relayHello(channelId: string): Promise<RelayHello> {
    this.core.bind(channelId);
    const meta = await this.core.meta();
    if (!meta) throw new Error("channel not found");
    return { context: this.#contextFrame(meta), presence: this.core.presenceFrame() };
  }

  /** Frames after `afterSeq` for a relay's resume (`cap`: the viewer replay cap) or gap fill (null). */
  async relayReplay(channelId: string, afterSeq: number, cap: number | null): Promise<RelayReplay> {
    this.core.bind(channelId);
    return relayReplay(this.core, afterSeq, cap);
  }

  // ---------------------------------------------------------------- RPC from agents' hubs (gateway, issue 17)
  // durable-objects/gateway/channel-ops.ts; a database failure answers `unavailable`, never throws.
  async gatewaySubscribe(channelId: string, agentId: string, afterSeq: number | null): Promise<SubscribeAnswer> {
    this.core.bind(channelId);
    return this.#gw(() => gw.subscribe(this.core, agentId, afterSeq));
  }

  async gatewayReplay(channelId: string, agentId: string, afterSeq: number): Promise<ReplayAnswer> {
    this.core.bind(channelId);
    return this.#gw(() => gw.replay(this.core, agentId, afterSeq));
  }

  async gatewayUnsubscribe(channelId: string, agentId: string): Promise<void> {
    this.core.bind(channelId);
    this.core.gateway.remove(agentId);
  }

  async gatewayPost(channelId: string, agentId: string, socket: string, input: GatewayPostInput): Promise<PostAnswer> {
    this.core.bind(channelId);
    return this.#gw(() => gw.post(this.core, agentId, socket, input));
  }

  async gatewayTyping(channelId: string, agentId: string): Promise<PostAnswer> {
    this.core.bind(channelId);
    return this.#gw(() => gw.typing(this.core, agentId));
  }

  async #gw<T>(
    fn: () => Promise<T>,
  ): Promise<T | { ok: false; code: "unavailable"; message: string; retry_after: number }> {
    try {
      return await fn();
    } catch (e) {
      this.core.dbFailed(e);
      return { ok: false, code: "unavailable", message: "channel unavailable; retry shortly", retry_after: 1 };
    }
  }
}
