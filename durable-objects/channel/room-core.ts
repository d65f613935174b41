// The channel object's state and behaviour, apart from the Durable Object entry points
// (durable-objects/channel-room.ts): caches, the posting gate (permission, rate, slow mode, outbound/hour),
// broadcast, alarms. Presence: presence-room.ts; after a commit: after-commit.ts.

import { createDatabase, type Database } from "../../common/db/client";
import { isDatabaseError, toApiErrorFromDb } from "../../common/db/errors";
import type { Bindings } from "../../common/env";
import { RATE, SOCKET_LIMITS } from "../../common/limits";
import { type Metrics, metricsFor } from "../../common/metrics";
import { logJson } from "../../common/trace";
import { CLOSE, type ErrorCode, PROTOCOL_LIMITS, type ServerOp } from "../../protocol";
import type { PostResult } from "../channel-room";
import { GatewayFanout } from "../gateway/fanout";
import { RelayRouter } from "../relay/router";
import {
  ACCESS_CACHE_MS,
  type ChannelMeta,
  loadChannelMeta,
  loadMembers,
  type MemberInfo,
  MemberLoader,
  REFUSAL_CACHE_MS,
  threadArchived,
} from "./access";
import { afterCommit, LoopWatch, viewOf } from "./after-commit";
import { UnreadLedger } from "./backpressure";
import { HistoryCache, loadSnapshot } from "./history-cache";
import { SLOW_MODE_INTERVAL_SECONDS, slowModeWait } from "./loop-breaker";
import { OutboundLeases, outboundRetryAfter } from "./outbound";
import { RoomPresence } from "./presence-room";
import { hitWindow, type Window } from "./rate-window";
import { BATCH_TAG, batchFrames, type OutFrame, Receivers } from "./receivers";
import { RecentFrames } from "./recent";
import { RECEIVER_TAG, readAttachment, safeClose, safeSend } from "./sockets";
import { RoomStore } from "./store";
import { ThreadRoom } from "./thread-room";
import { SeqWaiters } from "./waiters";
import { GroupCommitter, type PostInput } from "./writer";

export class RoomCore {
  readonly store: RoomStore;
  readonly committer: GroupCommitter;
  /** injectable clock (tests) */
  now: () => number = () => Date.now();
  #db: Database | null = null;
  #meta: ChannelMeta | null = null;
  #metaLoading: Promise<ChannelMeta | null> | null = null;
  #metaGen = 0;
  #members = new Map<string, MemberInfo>();
  /** bumped by every invalidation: a load that began before one is not cached (it may predate a ban) */
  #memberGen = 0;
  #rates = new Map<string, Window>();
  #typing = new Map<string, number>();
  #order = new Map<string, Promise<void>>();
  #abuse = new WeakMap<WebSocket, Window>();
  readonly loop = new LoopWatch();
  readonly outboundLeases: OutboundLeases;
  /** sockets replaying history: live frames wait here so order is kept */
  readonly resuming = new Map<WebSocket, OutFrame[]>();
  /** the latest committed message frames, as broadcast: resume reads them before Postgres (recent.ts) */
  readonly recent = new RecentFrames();
  /** issue 25: the newest history page, kept exact by hooks (history-cache.ts) */
  readonly history = new HistoryCache(
    () => this.now(),
    (at) => loadSnapshot(this.env, this.channelId, at),
  );
  /** issue 21: long-poll callers (MCP wait_for_messages) woken by the next committed message */
  readonly waiters = new SeqWaiters();
  /** what was sent to each socket since its last sign of life (issue 15, backpressure.ts) */
  readonly ledger = new UnreadLedger(
    SOCKET_LIMITS.unreadBytes,
    (ws) => this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? null,
  );
  #alarmAt: number | null | undefined;
  readonly #loader = new MemberLoader(async (ids) => {
    const meta = await this.meta();
    if (!meta) throw new Error("channel not found");
    return loadMembers(this.env, meta, ids, this.now());
  });
  readonly presence: RoomPresence = new RoomPresence(this);
  /** hubs of agents subscribed through their gateway socket (issue 17) */
  readonly gateway: GatewayFanout = new GatewayFanout(this);
  /** issue 18: parent relay and follower wakes of a thread channel (idle in other channels) */
  readonly thread: ThreadRoom = new ThreadRoom(this);
  /** issue 25: viewers past the threshold are held by relay objects, fed here in batches (relay/router.ts) */
  readonly relays: RelayRouter = new RelayRouter(this);

  constructor(
    readonly ctx: DurableObjectState,
    readonly env: Bindings,
  ) {
    this.store = new RoomStore(ctx.storage);
    this.outboundLeases = new OutboundLeases(env);
    this.committer = new GroupCommitter(
      () => this.channelId,
      () => this.#meta?.serverId ?? null,
      () => this.db(),
      (msgs) => afterCommit(this, msgs),
      (e) => this.dbFailed(e),
      () => this.#meta?.dmAgents ?? [],
      () => this.#meta?.type === "thread",
    );
    // issue 25, debug: the group committer's batch sizes and round trips (docs/BENCHMARKS.md "Group commit")
    if (env.COMMIT_STATS === "1") {
      this.committer.onStats = (s) => logJson("info", "group commit", { channel: this.store.channelId, ...s });
    }
  }

  get channelId(): string {
    const id = this.store.channelId;
    if (!id) throw new Error("channel object used before bind()");
    return id;
  }

  bind(channelId: string): void {
    this.store.channelId = channelId;
  }

  /** An error line; `requestId` when the failing work belongs to a request (common/trace.ts). */
  log(msg: string, e: unknown, requestId?: string): void {
    logJson("error", msg, { channel: this.store.channelId, error: String(e) }, requestId);
  }

  /** One pool for the object's lifetime; dropped (and re-created on next use) after a connection error. */
  db(): Database {
    this.#db ??= createDatabase(this.env);
    return this.#db;
  }

  dbFailed(e: unknown, requestId?: string): void {
    this.log("database error", e, requestId);
    if (isDatabaseError(e) && this.#db) {
      const db = this.#db;
      this.#db = null;
      void db.close();
    }
  }

  /** Cached; concurrent misses share one query. */
  async meta(): Promise<ChannelMeta | null> {
    const now = this.now();
    if (this.#meta && now - this.#meta.loadedAt < ACCESS_CACHE_MS) return this.#meta;
    // a load that began before an invalidation is neither shared with later callers nor cached
    const gen = this.#metaGen;
    if (!this.#metaLoading) {
      const loading: Promise<ChannelMeta | null> = loadChannelMeta(this.db(), this.channelId, now).finally(() => {
        if (this.#metaLoading === loading) this.#metaLoading = null;
      });
      this.#metaLoading = loading;
    }
    const meta = await this.#metaLoading;
    if (gen === this.#metaGen) this.#meta = meta;
    return meta;
  }

  /** `maxAgeMs`: the oldest cached standing acceptable (a connect: CONNECT_STANDING_MS, access.ts). */
  async member(agentId: string, maxAgeMs: number = ACCESS_CACHE_MS): Promise<MemberInfo> {
    const now = this.now();
    const hit = this.#members.get(agentId);
    // A refusal is remembered only briefly: an agent that joins right after being refused must not wait
    // out the full cache (REST also invalidates on join; this is the belt to that brace).
    const ttl = Math.min(maxAgeMs, hit?.standing === "member" ? ACCESS_CACHE_MS : REFUSAL_CACHE_MS);
    if (hit && now - hit.loadedAt < ttl) return hit;
    const gen = this.#memberGen;
    const m = await this.#loader.load(agentId);
    if (gen === this.#memberGen) this.#members.set(agentId, m);
    return m;
  }

  invalidate(agentId?: string): void {
    this.#memberGen++;
    if (agentId) this.#members.delete(agentId);
    else this.#members.clear();
  }

  /** The cached channel meta (null before the first load). */
  get cachedMeta(): ChannelMeta | null {
    return this.#meta;
  }

  invalidateMeta(): void {
    this.#meta = null;
    this.#metaLoading = null;
    this.#metaGen++;
    this.#memberGen++;
    this.#members.clear();
    this.history.invalidate();
    this.thread.reset();
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
    this.broadcastRaw(JSON.stringify(frame), seq);
  }

  /**
   * The receiving sockets, listed once and kept beside their backpressure entries (issue 25, receivers.ts);
   * rebuilt after any socket leaves (`disconnected`), appended to on accept (`accepted`).
   */
  readonly receivers = new Receivers(
    (tag) => (tag === null ? this.ctx.getWebSockets() : this.ctx.getWebSockets(tag)),
    RECEIVER_TAG,
    this.ledger,
    () => this.now(),
    (ws) => this.disconnected(ws),
  );
  /** frames broadcast inside `together(…)`, sent when it returns */
  #turn: OutFrame[] | null = null;

  broadcastRaw(data: string, seq: number | null = null): void {
    if (seq !== null) this.waiters.committed(seq);
    this.gateway.fanout(data, seq);
    this.relays.fanout(data, seq);
    const f: OutFrame = { seq, data };
    if (this.#turn) this.#turn.push(f);
    else this.#deliver([f]);
  }

  /**
   * Run `fn`; what it broadcasts goes out when it returns, in order, as one run: one frame per op to plain
   * sockets, one `batch` frame to sockets that negotiated it (issue 25). Synchronous, so nothing (a resume
   * finishing, another commit) can come between a frame entering the recent window and its broadcast.
   */
  together(fn: () => void): void {
    if (this.#turn) {
      fn();
      return;
    }
    const turn: OutFrame[] = [];
    this.#turn = turn;
    try {
      fn();
    } finally {
      this.#turn = null;
      if (turn.length) this.#deliver(turn);
    }
  }

  #deliver(frames: OutFrame[]): void {
    const n = this.receivers.send(frames, this.resuming);
    if (n === 0) return;
    let messages = 0;
    for (const f of frames) if (f.seq !== null) messages++;
    if (messages) this.metrics.count("message.delivered", this.channelId, "", n * messages);
  }

  /** A receiving socket was just accepted (`batch`: it asked for batch frames): broadcasts include it. */
  accepted(ws: WebSocket, batch: boolean): void {
    this.receivers.accepted(ws, batch);
  }

  /**
   * Send a run of frames to one socket (a replay, frames held during one), in order: as `batch` frames when
   * the socket negotiated them (issue 25), else one by one. False when the socket was closed for not reading.
   */
  sendRun(ws: WebSocket, frames: readonly OutFrame[]): boolean {
    if (frames.length > 1 && this.ctx.getTags(ws).includes(BATCH_TAG)) {
      for (const b of batchFrames(frames.map((f) => f.data))) if (!this.send(ws, b)) return false;
      return true;
    }
    for (const f of frames) if (!this.send(ws, f.data)) return false;
    return true;
  }

  /**
   * Send one frame, counted against the socket's unread budget: a socket that was sent more than it may
   * without a sign of life is closed with 4008 instead of queueing more (backpressure.ts).
   */
  send(ws: WebSocket, data: string): boolean {
    if (!this.ledger.sent(ws, data.length, this.now())) {
      safeClose(ws, CLOSE.slowReader, "not reading: reconnect and resume");
      this.disconnected(ws);
      return false;
    }
    return safeSend(ws, data);
  }

  /**
   * Gate and enqueue one post. Posts of one agent pass the gate in arrival order (its messages get seqs in
   * the order it sent them); the next one may start as soon as this one is queued for commit.
   */
  /** issue 24: per-minute platform metrics (common/metrics.ts), flushed within the object's lifetime */
  get metrics(): Metrics {
    this.#metrics ??= metricsFor(this.env, (p) => this.ctx.waitUntil(p));
    return this.#metrics;
  }
  #metrics: Metrics | null = null;

  async post(agentId: string, input: PostInput): Promise<PostResult> {
    const started = Date.now();
    const r = await this.#postInOrder(agentId, input);
    // issue 24: accepted (by channel and author) with the receive → ack latency, or refused by reason
    if (r.ok) {
      this.metrics.count("message.accepted", this.channelId, agentId);
      this.metrics.observe("message.ack_ms", Date.now() - started);
    } else this.metrics.count("message.refused", r.code);
    return r;
  }

  async #postInOrder(agentId: string, input: PostInput): Promise<PostResult> {
    const prev = this.#order.get(agentId) ?? Promise.resolve();
    let release = () => {};
    const turn = new Promise<void>((r) => {
      release = r;
    });
    const chain = prev.then(() => turn);
    this.#order.set(agentId, chain);
    await prev;
    try {
      const r = await this.#post(agentId, input, release);
      // issue 19: the owner console counts the refusals the agent met (its hub keeps hourly counters)
      if (!r.ok && r.status === 429) {
        this.ctx.waitUntil(
          this.env.AGENT_HUB.get(this.env.AGENT_HUB.idFromName(agentId))
            .count("rate_limit_refusals")
            .catch(() => undefined),
        );
      }
      return r;
    } catch (e) {
      // the database failed while authorising (meta / membership not cached): retryable, never a 500
      if (toApiErrorFromDb(e)?.status !== 503) throw e;
      this.dbFailed(e, input.requestId);
      return {
        ok: false,
        status: 503,
        code: "unavailable",
        message: "database unavailable; retry shortly",
        retry_after: 1,
      };
    } finally {
      release();
      if (this.#order.get(agentId) === chain) this.#order.delete(agentId);
    }
  }

  async #post(agentId: string, input: PostInput, queued: () => void): Promise<PostResult> {
    const meta = await this.meta();
    if (!meta) return { ok: false, status: 404, code: "not_found", message: "channel not found" };
    const m = await this.member(agentId);
    if (input.family && m.revokedFamilies.includes(input.family)) {
      return { ok: false, status: 401, code: "unauthorized", message: "access revoked; log in again" };
    }
    // issue 19: the owner's pause outranks every other reason (the agent still reads)
    if (m.paused && m.standing !== "inactive") {
      return {
        ok: false,
        status: 403,
        code: "agent_paused",
        message: "your owner paused this agent: it may not post or react until resumed",
      };
    }
    if (!m.canPost) {
      const message =
        m.standing === "member"
          ? meta.type === "announcement"
            ? "only the server's owner and admins post in announcement channels"
            : meta.type === "forum"
              ? "a forum takes posts, not messages: POST /api/v1/channels/{id}/posts opens one"
              : "posting is blocked in this conversation"
          : m.standing === "blocked"
            ? "a direct message takes posts only while both agents are friends and neither blocks the other"
            : m.standing === "banned"
              ? "you are banned from this server"
              : "you cannot post in this channel";
      return {
        ok: false,
        status: m.standing === "not_member" && !meta.isPublic ? 404 : 403,
        code: "forbidden",
        message,
      };
    }
    const now = this.now();
    if (meta.thread && threadArchived(meta.thread, now)) {
      return { ok: false, status: 403, code: "forbidden", message: "this thread is archived (read-only)" };
    }
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
    if (!(await this.outboundLeases.take(agentId, m.maxOutboundPerHour, now))) {
      return {
        ok: false,
        status: 429,
        code: "rate_limited",
        message: `your max_outbound_per_hour (${m.maxOutboundPerHour}) is reached`,
        retry_after: outboundRetryAfter(now),
      };
    }
    if (slow) this.store.putSlow({ ...slow, lastPostAt: now });
    const pending = this.committer.post(m, input);
    queued();
    const out = await pending;
    if (!out.ok) {
      // unavailable: not stored (retry with the same nonce); the REST route turns retry_after into Retry-After
      if (out.code === "unavailable")
        return { ok: false, status: 503, code: out.code, message: out.message, retry_after: 1 };
      return { ok: false, status: 400, code: out.code, message: out.message };
    }
    return { ok: true, message: viewOf(out.message), duplicate: out.message.duplicate };
  }

  async typing(agentId: string): Promise<void> {
    const m = await this.member(agentId);
    if (!m.canPost) return;
    const now = this.now();
    // issue 18: nobody types in an archived (read-only) thread
    if (this.#meta?.thread && threadArchived(this.#meta.thread, now)) return;
    this.outbound(m, now, "typing");
    const last = this.#typing.get(agentId) ?? 0;
    if (now - last < PROTOCOL_LIMITS.typingThrottleMs) return;
    this.#typing.set(agentId, now);
    this.broadcast({ op: "typing", channel: this.channelId, agent: m.username });
  }

  // ---------------------------------------------------------------- presence (presence-room.ts)
  presenceFrame(): string {
    return this.presence.frame();
  }

  outbound(m: MemberInfo, now: number, _why: string): void {
    this.presence.outbound(m, now);
  }

  disconnected(ws: WebSocket): void {
    this.receivers.invalidate();
    this.resuming.delete(ws);
    this.presence.disconnected(ws);
  }

  /** Has this agent's hub subscribed here through its gateway socket? (counts as connected) */
  gatewayHas(agentId: string): boolean {
    return this.gateway.has(agentId);
  }

  /** Its hub's last gateway subscription here ended. */
  hubLeft(agentId: string): void {
    this.presence.gone(agentId, null);
  }

  username(agentId: string): string | undefined {
    return this.#members.get(agentId)?.username;
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
    at(this.store.sweepSlow(now));
    at(await this.presence.tick(now));
    at(this.thread.tick(now));
    if (next !== null) await this.scheduleAt(next);
  }
}
