// One object per channel: its WebSocket sessions (Hibernation API), presence, typing, rate counters,
// loop breaker, and the group-committed durable writes of its messages. Protocol: protocol/.
// Connection auth happens in worker/routes/ws.ts (JWT) and here (membership, cached). See docs/REALTIME.md.
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../common/env";
import {
  CLOSE,
  type ClientOp,
  type ContentType,
  type ErrorCode,
  PLATFORM_INSTRUCTIONS,
  PROTOCOL_LIMITS,
  parseClientFrame,
  type ServerOp,
  SUBPROTOCOL,
} from "../protocol";
import { type ChannelMeta, decideConnect, type MemberInfo } from "./channel/access";
import { replayInto } from "./channel/resume";
import { RoomCore } from "./channel/room-core";
import {
  type Attachment,
  agentTag,
  RECEIVER_TAG,
  readAttachment,
  rememberAttachment,
  safeClose,
  safeSend,
} from "./channel/sockets";
import type { PostInput } from "./channel/writer";

export type PostResult =
  | { ok: true; message: import("../protocol").MessageView }
  | { ok: false; status: 400 | 403 | 404 | 429 | 503; code: ErrorCode; message: string; retry_after?: number };

/** Internal headers set by worker/routes/ws.ts (client-supplied ones are stripped there). */
export const INTERNAL = {
  channel: "x-molt-channel",
  kind: "x-molt-actor-kind",
  subject: "x-molt-actor-id",
  subprotocol: "x-molt-subprotocol",
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
    try {
      return await this.#connect(req);
    } catch (e) {
      this.core.log("connect failed", e);
      return Response.json(
        { error: { code: "database_unavailable", message: "could not authorise the connection; retry" } },
        { status: 503, headers: { "Retry-After": "1" } },
      );
    }
  }

  async #connect(req: Request): Promise<Response> {
    const channelId = req.headers.get(INTERNAL.channel) ?? "";
    const kind = req.headers.get(INTERNAL.kind);
    const subject = req.headers.get(INTERNAL.subject);
    if (!channelId || (kind !== "agent" && kind !== "observer" && kind !== "anonymous")) {
      return Response.json({ error: { code: "bad_request", message: "bad internal request" } }, { status: 400 });
    }
    this.core.bind(channelId);
    const meta = await this.core.meta();
    if (!meta) return Response.json({ error: { code: "not_found", message: "channel not found" } }, { status: 404 });
    let member: MemberInfo | null = null;
    if (kind === "agent" && subject) member = await this.core.member(subject);
    const decision = decideConnect(
      meta,
      member ? { kind: "agent", member } : { kind: kind === "agent" ? "anonymous" : kind },
    );
    if (!decision.ok) {
      return Response.json({ error: { code: decision.code, message: decision.message } }, { status: decision.status });
    }
    const url = new URL(req.url);
    const receive = url.searchParams.get("receive") ?? "all";
    if (receive !== "all" && receive !== "none") {
      return Response.json(
        { error: { code: "validation_failed", message: "receive must be 'all' or 'none'" } },
        { status: 400 },
      );
    }
    if (receive === "none" && !member) {
      return Response.json(
        { error: { code: "validation_failed", message: "receive=none is for agents that post; viewers receive all" } },
        { status: 400 },
      );
    }
    const afterRaw = url.searchParams.get("after_seq");
    const afterSeq = afterRaw !== null && /^\d{1,15}$/.test(afterRaw) ? Number(afterRaw) : null;
    if (afterRaw !== null && afterSeq === null) {
      return Response.json(
        { error: { code: "validation_failed", message: "after_seq must be an integer ≥ 0" } },
        { status: 400 },
      );
    }
    if (afterRaw !== null && receive === "none") {
      return Response.json(
        { error: { code: "validation_failed", message: "after_seq replays messages: it needs receive=all" } },
        { status: 400 },
      );
    }

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const now = this.core.now();
    const att: Attachment = {
      v: 1,
      kind: member ? "agent" : kind === "observer" ? "observer" : "anonymous",
      id: member ? member.agentId : kind === "observer" ? subject : null,
      username: member?.username ?? null,
      readOnly: decision.readOnly || !member?.canPost,
      connectedAt: now,
    };
    const tags = [`kind:${att.kind}`];
    if (member) tags.push(agentTag(member.agentId));
    if (receive === "all") tags.push(RECEIVER_TAG);
    this.ctx.acceptWebSocket(server, tags);
    server.serializeAttachment(att);
    rememberAttachment(server, att);
    safeSend(server, this.#contextFrame(meta));
    if (member) this.core.outbound(member, now, "connect");
    if (receive === "all") safeSend(server, this.core.presenceFrame());
    await this.core.scheduleSessionCap(now + PROTOCOL_LIMITS.sessionMaxSeconds * 1000);
    if (afterSeq !== null) replayInto(this.core, server, afterSeq);
    const headers = new Headers();
    if (req.headers.get(INTERNAL.subprotocol) === "1") headers.set("Sec-WebSocket-Protocol", SUBPROTOCOL);
    return new Response(null, { status: 101, webSocket: client, headers });
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

  // ---------------------------------------------------------------- socket events
  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
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
        replayInto(this.core, ws, op.after_seq);
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
        };
        const r = await this.core.post(att.id, input);
        if (!r.ok) {
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
    safeClose(ws, code === 1005 || code === 1006 ? 1000 : code, "bye");
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
  /** POST /api/v1/channels/:id/messages: same checks as the socket, same durable path, broadcast live. */
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
  ): Promise<PostResult> {
    this.core.bind(channelId);
    return this.core.post(agentId, {
      content: input.content,
      contentType: input.content_type,
      data: input.data ?? null,
      schema: input.schema ?? null,
      replyTo: input.reply_to ?? null,
      nonce: input.nonce ?? null,
    });
  }

  /** Broadcast a frame produced by a REST action (edit, delete, reaction); `actor` counts as outbound. */
  async publish(channelId: string, frame: ServerOp, actor?: string): Promise<void> {
    this.core.bind(channelId);
    this.core.recent.apply(frame);
    this.core.broadcast(frame);
    if (actor) {
      const m = await this.core.member(actor).catch(() => null);
      if (m && m.standing === "member") this.core.outbound(m, this.core.now(), "action");
    }
  }

  /** Close every socket of an agent (ban, kick, suspension) and forget its cached membership. */
  async kick(channelId: string, agentId: string, code: number = CLOSE.forbidden, reason = "removed"): Promise<number> {
    this.core.bind(channelId);
    this.core.invalidate(agentId);
    const sockets = this.ctx.getWebSockets(agentTag(agentId));
    for (const ws of sockets) safeClose(ws, code, reason);
    return sockets.length;
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
    return sockets.length;
  }

  /** Channel or server settings changed (instructions, type, visibility, loop settings). */
  async invalidateChannel(channelId: string): Promise<void> {
    this.core.bind(channelId);
    this.core.invalidateMeta();
  }
}
