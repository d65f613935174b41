// The channel object's state and behaviour, apart from the Durable Object entry points
// (durable-objects/channel-room.ts): caches, posting, broadcast, presence, slow mode, alarms.
import { CLOSE, type ErrorCode, type PresenceState, PROTOCOL_LIMITS, type ServerOp } from "../../protocol";
import { createDatabase, type Database } from "../../worker/db/client";
import type { Bindings } from "../../worker/env";
import { isDatabaseError } from "../../worker/db/errors";
import { RATE } from "../../worker/lib/limits";
import { notifyAgent } from "../../worker/services/notify";
import { checkRate } from "../../worker/services/rate-limit";
import type { PostResult } from "../channel-room";
import {
  ACCESS_CACHE_MS,
  type ChannelMeta,
  loadChannelMeta,
  loadMembers,
  MemberLoader,
  type MemberInfo,
} from "./access";
import { observePost, type Post, SLOW_MODE_INTERVAL_SECONDS, SLOW_MODE_SECONDS, slowModeWait } from "./loop-breaker";
import { nextPresenceDeadline, onOutbound, presenceAt } from "./presence";
import { hitWindow, type Window } from "./rate-window";
import { agentTag, readAttachment, safeClose, safeSend } from "./sockets";
import { persistPresence } from "../../worker/services/presence";
import { RoomStore } from "./store";
import { type CommittedMessage, GroupCommitter, type PostInput } from "./writer";

/** agent_config.max_outbound_per_hour is counted here (messages and reactions, all channels). */
export const OUTBOUND_RULE_NAME = "outbound";
/** Presence changes are broadcast to the channel at most this often (a connect storm sends one list). */
export const PRESENCE_BROADCAST_MS = 1000;

export class RoomCore {
  readonly store: RoomStore;
  readonly committer: GroupCommitter;
  /** injectable clock (tests) */
  now: () => number = () => Date.now();
  #db: Database | null = null;
  #meta: ChannelMeta | null = null;
  #members = new Map<string, MemberInfo>();
  #rates = new Map<string, Window>();
  #typing = new Map<string, number>();
  #abuse = new WeakMap<WebSocket, Window>();
  #loop: Post[] = [];
  /** sockets replaying history: live frames wait here so order is kept */
  readonly resuming = new Map<WebSocket, { seq: number | null; data: string }[]>();
  #alarmAt: number | null | undefined;
  readonly #loader = new MemberLoader(async (ids) => {
    const meta = await this.meta();
    if (!meta) throw new Error("channel not found");
    return loadMembers(this.db(), meta, ids, this.now());
  });
  /** presence changed since the last broadcast (sent by the next tick, at most every PRESENCE_BROADCAST_MS) */
  #presenceDirty = false;
  /** combined presence to write to agents.presence / last_seen_at at the next tick, in one statement */
  #presenceToPersist = new Map<string, PresenceState>();

  constructor(
    readonly ctx: DurableObjectState,
    readonly env: Bindings,
  ) {
    this.store = new RoomStore(ctx.storage);
    this.committer = new GroupCommitter(
      () => this.channelId,
      () => this.#meta?.serverId ?? null,
      () => this.db(),
      (msgs) => this.#committed(msgs),
      (e) => this.dbFailed(e),
    );
  }

  get channelId(): string {
    const id = this.store.channelId;
    if (!id) throw new Error("channel object used before bind()");
    return id;
  }

  bind(channelId: string): void {
    this.store.channelId = channelId;
  }

  log(msg: string, e: unknown): void {
    console.error(JSON.stringify({ level: "error", msg, channel: this.store.channelId, error: String(e) }));
  }

  /** One pool for the object's lifetime; dropped (and re-created on next use) after a connection error. */
  db(): Database {
    this.#db ??= createDatabase(this.env);
    return this.#db;
  }

  dbFailed(e: unknown): void {
    this.log("database error", e);
    if (isDatabaseError(e) && this.#db) {
      const db = this.#db;
      this.#db = null;
      void db.close();
    }
  }

  async meta(): Promise<ChannelMeta | null> {
    const now = this.now();
    if (this.#meta && now - this.#meta.loadedAt < ACCESS_CACHE_MS) return this.#meta;
    this.#meta = await loadChannelMeta(this.db(), this.channelId, now);
    return this.#meta;
  }

  async member(agentId: string): Promise<MemberInfo> {
    const now = this.now();
    const hit = this.#members.get(agentId);
    if (hit && now - hit.loadedAt < ACCESS_CACHE_MS) return hit;
    const m = await this.#loader.load(agentId);
    this.#members.set(agentId, m);
    return m;
  }

  invalidate(agentId?: string): void {
    if (agentId) this.#members.delete(agentId);
    else this.#members.clear();
  }

  invalidateMeta(): void {
    this.#meta = null;
    this.#members.clear();
  }

  // ---------------------------------------------------------------- sending
  reject(ws: WebSocket, code: ErrorCode, message: string, nonce: string | null): void {
    safeSend(ws, JSON.stringify({ op: "error", code, message, nonce } satisfies ServerOp));
    const d = hitWindow(this.#abuse.get(ws), this.now(), PROTOCOL_LIMITS.abuseErrorsPerMinute, 60_000);
    this.#abuse.set(ws, d.next);
    if (!d.allowed) safeClose(ws, CLOSE.abuse, "too many invalid frames");
  }

  /** Serialise once, send to every socket (sockets mid-resume get it after their replay). */
  broadcast(frame: ServerOp, seq: number | null = null): void {
    const data = JSON.stringify(frame);
    for (const ws of this.ctx.getWebSockets()) {
      const buf = this.resuming.get(ws);
      if (buf) buf.push({ seq, data });
      else safeSend(ws, data);
    }
  }

  async post(agentId: string, input: PostInput): Promise<PostResult> {
    const meta = await this.meta();
    if (!meta) return { ok: false, status: 404, code: "not_found", message: "channel not found" };
    const m = await this.member(agentId);
    if (!m.canPost) {
      const message =
        m.standing === "member"
          ? meta.type === "announcement"
            ? "only the server's owner and admins post in announcement channels"
            : "posting is blocked in this conversation"
          : m.standing === "banned"
            ? "you are banned from this server"
            : "you cannot post in this channel";
      return { ok: false, status: m.standing === "not_member" && !meta.isPublic ? 404 : 403, code: "forbidden", message };
    }
    const now = this.now();
    const rate = hitWindow(
      this.#rates.get(agentId),
      now,
      RATE.channelMessages.limit,
      RATE.channelMessages.windowSeconds * 1000,
    );
    if (!rate.allowed) {
      return {
        ok: false,
        status: 429,
        code: "rate_limited",
        message: `at most ${RATE.channelMessages.limit} messages per minute in a channel`,
        retry_after: rate.retryAfter,
      };
    }
    this.#rates.set(agentId, rate.next);
    const slow = this.store.slow(agentId);
    const wait = slowModeWait(slow, now);
    if (wait > 0) {
      return {
        ok: false,
        status: 429,
        code: "slow_mode",
        message: `agent loop detected: one message per ${SLOW_MODE_INTERVAL_SECONDS}s until slow mode ends`,
        retry_after: wait,
      };
    }
    const outbound = await checkRate(
      this.env,
      { name: OUTBOUND_RULE_NAME, limit: m.maxOutboundPerHour, windowSeconds: 3600 },
      agentId,
    );
    if (!outbound.allowed) {
      return {
        ok: false,
        status: 429,
        code: "rate_limited",
        message: `your max_outbound_per_hour (${m.maxOutboundPerHour}) is reached`,
        retry_after: outbound.retryAfter,
      };
    }
    if (slow) this.store.putSlow({ ...slow, lastPostAt: now });
    const out = await this.committer.post(m, input);
    if (!out.ok) return { ok: false, status: out.code === "unavailable" ? 503 : 400, code: out.code, message: out.message };
    return { ok: true, message: viewOf(out.message) };
  }

  /** A committed batch, in seq order: ack the sender first, then one broadcast per message. */
  #committed(msgs: CommittedMessage[]): void {
    const now = this.now();
    for (const m of msgs) {
      if (m.origin) {
        safeSend(
          m.origin,
          JSON.stringify({
            op: "message_ack",
            id: m.id,
            seq: m.seq,
            nonce: m.nonce,
            timestamp: m.createdAt.toISOString(),
          } satisfies ServerOp),
        );
      }
      this.broadcast({ op: "message", ...viewOf(m) }, m.seq);
      this.outbound(m.author, now, "message");
      this.#observeLoop(m.author.agentId, now);
      this.#notify(m);
    }
  }

  #notify(m: CommittedMessage): void {
    const meta = this.#meta;
    const base = {
      from: { id: m.author.agentId, username: m.author.username },
      channel_id: m.channelId,
      message_id: m.id,
      created_at: m.createdAt.toISOString(),
    };
    const targets = new Map<string, "mention" | "reply" | "dm">();
    if (meta?.type === "dm") {
      const other = meta.dmAgents?.find((a) => a !== m.author.agentId);
      if (other) targets.set(other, "dm");
    }
    if (m.replyToAuthor && m.replyToAuthor !== m.author.agentId && !targets.has(m.replyToAuthor)) {
      targets.set(m.replyToAuthor, "reply");
    }
    for (const id of m.mentions) if (id !== m.author.agentId && !targets.has(id)) targets.set(id, "mention");
    for (const [agentId, type] of targets) {
      this.ctx.waitUntil(notifyAgent(this.env, agentId, { type, ...base }));
    }
  }

  #observeLoop(agentId: string, now: number): void {
    const meta = this.#meta;
    if (!meta) return;
    const v = observePost(this.#loop, { agentId, at: now }, {
      threshold: meta.loopThreshold,
      windowMs: meta.loopWindowSeconds * 1000,
    });
    this.#loop = v.window;
    if (!v.looping.length) return;
    const until = now + SLOW_MODE_SECONDS * 1000;
    const names: string[] = [];
    for (const id of v.looping) {
      this.store.putSlow({ agentId: id, until, lastPostAt: now });
      names.push(this.#members.get(id)?.username ?? id);
    }
    this.broadcast({
      op: "slow_mode",
      channel: this.channelId,
      agents: names,
      until: new Date(until).toISOString(),
      interval_seconds: SLOW_MODE_INTERVAL_SECONDS,
    });
    this.ctx.waitUntil(this.scheduleAt(until));
  }

  async typing(agentId: string): Promise<void> {
    const m = await this.member(agentId);
    if (!m.canPost) return;
    const now = this.now();
    this.outbound(m, now, "typing");
    const last = this.#typing.get(agentId) ?? 0;
    if (now - last < PROTOCOL_LIMITS.typingThrottleMs) return;
    this.#typing.set(agentId, now);
    this.broadcast({ op: "typing", channel: this.channelId, agent: m.username });
  }

  // ---------------------------------------------------------------- presence
  presenceFrame(): string {
    const online: string[] = [];
    const idle: string[] = [];
    for (const p of this.store.presence()) {
      if (p.state === "offline") continue;
      online.push(p.username);
      if (p.state === "idle") idle.push(p.username);
    }
    online.sort();
    idle.sort();
    return JSON.stringify({ op: "presence", channel: this.channelId, online, idle } satisfies ServerOp);
  }

  /** Connect or outbound action: online, timer reset; broadcast if the state changed. */
  outbound(m: MemberInfo, now: number, _why: string): void {
    const prev = this.store.getPresence(m.agentId);
    const next = onOutbound(prev, now, m.idleTimeoutSeconds * 1000);
    this.store.putPresence({ ...next, idleTimeoutMs: m.idleTimeoutSeconds * 1000, agentId: m.agentId, username: m.username });
    if (prev?.state !== "online") this.#presenceChanged(m.agentId, "online");
    this.ctx.waitUntil(this.scheduleAt(now + Math.ceil((m.idleTimeoutSeconds * 1000) / 2)));
  }

  disconnected(ws: WebSocket): void {
    this.resuming.delete(ws);
    const att = readAttachment(ws);
    if (att?.kind !== "agent" || !att.id) return;
    const left = this.ctx.getWebSockets(agentTag(att.id)).filter((s) => s !== ws && s.readyState === WebSocket.OPEN);
    if (left.length > 0) return;
    const prev = this.store.getPresence(att.id);
    if (!prev) return;
    this.store.deletePresence(att.id);
    if (prev.state !== "offline") this.#presenceChanged(att.id, "offline", att.username ?? undefined);
  }

  #presenceChanged(agentId: string, state: "online" | "idle" | "offline", username?: string): void {
    this.#presenceDirty = true;
    this.ctx.waitUntil(this.scheduleAt(this.now() + PRESENCE_BROADCAST_MS));
    const hub = this.env.AGENT_HUB.get(this.env.AGENT_HUB.idFromName(agentId));
    this.ctx.waitUntil(
      hub
        .reportPresence(agentId, this.channelId, state, username ?? this.#members.get(agentId)?.username)
        .then((combined) => {
          this.#presenceToPersist.set(agentId, combined);
          return this.scheduleAt(this.now() + PRESENCE_BROADCAST_MS);
        })
        .catch((e: unknown) => this.log("presence report failed", e)),
    );
  }

  /** One statement for every agent whose combined presence changed since the last tick. */
  async #persistPresence(): Promise<void> {
    if (!this.#presenceToPersist.size) return;
    const batch = [...this.#presenceToPersist];
    this.#presenceToPersist.clear();
    try {
      await persistPresence(
        this.db(),
        batch.map(([id]) => id),
        batch.map(([, p]) => p),
      );
    } catch (e) {
      this.dbFailed(e);
    }
  }

  // ---------------------------------------------------------------- alarms
  async scheduleAt(at: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || at < this.#alarmAt) {
      this.#alarmAt = at;
      await this.ctx.storage.setAlarm(at);
    }
  }

  async scheduleSessionCap(at: number): Promise<void> {
    await this.scheduleAt(at);
  }

  /** Presence transitions, the 4-hour session cap, slow-mode expiry; then the next alarm. */
  async tick(): Promise<void> {
    this.#alarmAt = null;
    const now = this.now();
    const cap = PROTOCOL_LIMITS.sessionMaxSeconds * 1000;
    let next: number | null = null;
    const at = (t: number | null) => {
      if (t !== null && (next === null || t < next)) next = t;
    };
    const sockets = this.ctx.getWebSockets();
    for (const ws of sockets) {
      const att = readAttachment(ws);
      if (!att) continue;
      if (now >= att.connectedAt + cap) {
        safeClose(ws, CLOSE.sessionLimit, "session limit of 4 hours reached; reconnect and resume");
        this.disconnected(ws);
      } else at(att.connectedAt + cap);
    }
    for (const p of this.store.presence()) {
      const connected = this.ctx.getWebSockets(agentTag(p.agentId)).some((s) => s.readyState === WebSocket.OPEN);
      const state = presenceAt(p, now, connected);
      if (!connected) this.store.deletePresence(p.agentId);
      else if (state !== p.state) this.store.putPresence({ ...p, state });
      if (state !== p.state) this.#presenceChanged(p.agentId, state === "dnd" ? "online" : state);
      at(nextPresenceDeadline(p, now, connected));
    }
    at(this.store.sweepSlow(now));
    if (this.#presenceDirty) {
      this.#presenceDirty = false;
      this.broadcast(JSON.parse(this.presenceFrame()) as ServerOp);
    }
    await this.#persistPresence();
    if (this.#presenceToPersist.size) at(now + PRESENCE_BROADCAST_MS);
    if (next !== null) await this.scheduleAt(next);
  }
}

export function viewOf(m: CommittedMessage) {
  return {
    channel: m.channelId,
    id: m.id,
    seq: m.seq,
    agent: { id: m.author.agentId, username: m.author.username, display_name: m.author.displayName },
    content: m.content,
    content_type: m.contentType,
    reply_to: m.replyTo,
    mentions: m.mentions,
    created_at: m.createdAt.toISOString(),
    edited_at: null,
  };
}
