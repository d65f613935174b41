// One object per agent: its personal event stream (friend requests, mentions, replies, DMs) over GET /ws,
// its outbound budget and owner-console counters. Issue 25: an agent's presence across channels is
// combined in a presence shard (presence-shard.ts; shards are instances of this class named
// `presence:<n>`), not here, so a connect never creates the agent's hub. Friends' presence costs no
// database work per change: when an agent opens its hub socket, its hub loads the friend list once and
// registers as a *watcher* on each friend's hub; a hub with watchers or sockets tells its shard it
// *listens*, and the shard forwards the agent's combined presence changes to it, which pushes them to
// its watchers.
import { DurableObject } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { SYSTEM } from "../common/db/actor";
import { createDatabase, type Database, withActor } from "../common/db/client";
import type { Bindings } from "../common/env";
import { errorResponse } from "../common/errors";
import { LIMITS, SOCKET_LIMITS } from "../common/limits";
import { metricsFor } from "../common/metrics";
import { persistPresence } from "../common/presence";
import { logJson, REQUEST_ID_HEADER, requestIdOf } from "../common/trace";
import type { OwnerEvent, PersonalEvent } from "../protocol";
import {
  CLOSE,
  type HubServerOp,
  ownerEventFrame,
  PROTOCOL_LIMITS,
  type PresenceState,
  personalEventFrame,
  SUBPROTOCOL,
} from "../protocol";
import { outboundWindow } from "./channel/outbound";
import { replyToClose, safeClose, safeSend } from "./channel/sockets";
import { GatewayHub } from "./gateway/hub";
import type { HubItem } from "./gateway/wire";
import { HUB_SOURCE, hubPresenceAt, hubPresenceDeadline, readHubPresence, writeHubPresence } from "./hub-presence";
import { type PresenceOutcome, type PresenceReport, PresenceShardStore, presenceShard } from "./presence-shard";

/** The heartbeat hint is re-read at most this often (a config change reaches new sockets within it). */
const HINT_CACHE_MS = 60_000;

const HubAttachment = z.object({
  v: z.literal(1),
  agentId: z.string(),
  connectedAt: z.number(),
  /** the token family (login) the socket was opened with (issue 15: revoking it closes the socket) */
  fam: z.string().nullable().optional(),
});

/** Issue 19: what the hub counts for the owner console. */
export type HubCounter = "rate_limit_refusals" | "slow_modes";

export class AgentHub extends DurableObject<Bindings> {
  /** GET /ws is also the spec's gateway socket: subscriptions to channels (durable-objects/gateway/) */
  readonly gateway = new GatewayHub(this.ctx, this.env);

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "create table if not exists channel_presence (channel_id text primary key, state text not null, at integer not null)",
    );
    ctx.storage.sql.exec("create table if not exists watchers (agent_id text primary key)");
    ctx.storage.sql.exec(
      "create table if not exists outbound (id integer primary key check (id = 1), window integer not null, count integer not null)",
    );
    // issue 19: hourly counters for the owner console (refusals and slow modes the agent met)
    ctx.storage.sql.exec(
      "create table if not exists counters (hour integer not null, kind text not null, n integer not null, primary key (hour, kind))",
    );
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"op":"ping"}', '{"op":"pong"}'));
  }

  /**
   * Issue 19: count something the agent met (a 429 rate-limit refusal, a loop-breaker slow mode) in the
   * current hour; hours older than a day are dropped as new ones are written.
   */
  async count(kind: HubCounter, nowMs: number = Date.now()): Promise<void> {
    const hour = Math.floor(nowMs / 3_600_000);
    const sqlite = this.ctx.storage.sql;
    sqlite.exec(
      "insert into counters (hour, kind, n) values (?, ?, 1) on conflict (hour, kind) do update set n = n + 1",
      hour,
      kind,
    );
    sqlite.exec("delete from counters where hour < ?", hour - 24);
  }

  /** Issue 19: the counters of the last 24 hours (the owner console). */
  async counters(nowMs: number = Date.now()): Promise<Record<HubCounter, number>> {
    const hour = Math.floor(nowMs / 3_600_000);
    const out: Record<HubCounter, number> = { rate_limit_refusals: 0, slow_modes: 0 };
    for (const r of this.ctx.storage.sql
      .exec<{ kind: string; n: number }>(
        "select kind, sum(n) as n from counters where hour > ? group by kind",
        hour - 24,
      )
      .toArray()) {
      if (r.kind === "rate_limit_refusals" || r.kind === "slow_modes") out[r.kind] = Number(r.n);
    }
    return out;
  }

  #hub(agentId: string) {
    return this.env.AGENT_HUB.get(this.env.AGENT_HUB.idFromName(agentId));
  }

  #broadcast(frame: HubServerOp): number {
    const data = JSON.stringify(frame);
    let sent = 0;
    for (const ws of this.ctx.getWebSockets()) if (safeSend(ws, data)) sent++;
    return sent;
  }

  /**
   * Deliver, and say whether the agent is live anywhere: a hub socket received the event, or a channel
   * object reports it online or idle. Only an agent that is live nowhere is woken by webhook (issue 6).
   */
  async deliverEvent(event: PersonalEvent, agentId: string): Promise<{ sent: number; live: boolean }> {
    const sent = this.#broadcast(personalEventFrame(event));
    if (sent > 0) return { sent, live: true };
    return { sent, live: (await presenceShard(this.env, agentId).presenceOf(agentId)) !== "offline" };
  }

  /** Issue 19: an owner event (paired, unpaired, paused, resumed) to every personal socket of the agent. */
  async ownerEvent(event: OwnerEvent): Promise<number> {
    return this.#broadcast(ownerEventFrame(event));
  }

  /**
   * agent_config.max_outbound_per_hour: grant up to `want` of the agent's remaining messages/reactions in
   * the current one-hour window (channel objects lease tokens in batches; REST reactions take one).
   */
  async takeOutbound(limit: number, want: number, nowMs: number = Date.now()): Promise<number> {
    const w = outboundWindow(nowMs);
    const sqlite = this.ctx.storage.sql;
    const row = sqlite
      .exec<{ window: number; count: number }>("select window, count from outbound where id = 1")
      .toArray()[0];
    const used = row && row.window === w ? row.count : 0;
    const granted = Math.max(0, Math.min(want, limit - used));
    sqlite.exec(
      "insert into outbound (id, window, count) values (1, ?, ?) on conflict (id) do update set window = excluded.window, count = excluded.count",
      w,
      used + granted,
    );
    return granted;
  }

  /**
   * Issue 15, item 3: logins of this agent were revoked (`families`), or the agent is no longer active
   * (`families` null: suspension, pause, logout everywhere). Closes its hub sockets opened with those
   * families (all when null) with 4001, and tells every channel it has a socket in to do the same.
   * Returns how many sockets were closed.
   */
  async revoke(agentId: string, families: readonly string[] | null): Promise<number> {
    const hit = (fam: string | null | undefined) => families === null || (!!fam && families.includes(fam));
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const a = HubAttachment.safeParse(ws.deserializeAttachment());
      if (a.success && !hit(a.data.fam)) continue;
      safeClose(ws, CLOSE.unauthorized, "access revoked; log in again");
      closed++;
    }
    const channels = (await presenceShard(this.env, agentId).presenceSources(agentId)).filter((s) => s !== HUB_SOURCE);
    const counts = await Promise.allSettled(
      channels.map((channel_id) =>
        this.env.CHANNEL.get(this.env.CHANNEL.idFromName(channel_id)).revokeSockets(channel_id, agentId, families),
      ),
    );
    for (const c of counts) if (c.status === "fulfilled") closed += c.value;
    return closed;
  }

  /** A friend's presence changed. */
  async friendPresence(friend: { id: string; username: string }, presence: PresenceState): Promise<number> {
    return this.#broadcast({ op: "presence", agent: friend, presence });
  }

  /**
   * A friend's hub (with a live socket) wants this agent's (`selfId`'s) presence changes; returns the
   * current state. The hub now listens: its shard forwards the agent's changes here.
   */
  async watch(watcherId: string, selfId: string): Promise<{ presence: PresenceState; username: string | null }> {
    this.ctx.storage.sql.exec("insert into watchers (agent_id) values (?) on conflict do nothing", watcherId);
    if (this.ctx.storage.kv.get<string>("self") !== selfId) this.ctx.storage.kv.put("self", selfId);
    const presence = await this.#syncListening(selfId);
    return { presence: presence.presence, username: this.ctx.storage.kv.get<string>("username") ?? presence.username };
  }

  async unwatch(watcherId: string): Promise<void> {
    this.ctx.storage.sql.exec("delete from watchers where agent_id = ?", watcherId);
    await this.#syncListening(this.ctx.storage.kv.get<string>("self"));
  }

  /**
   * The friendship with `otherId` ended or a block was placed (worker/services/pair-sync.ts calls this on
   * both agents' hubs): this hub stops pushing its presence to the other and stops counting it as a
   * friend, so nothing flows either way until a new friendship is loaded on a later hub connect.
   */
  async forget(otherId: string): Promise<void> {
    this.ctx.storage.sql.exec("delete from watchers where agent_id = ?", otherId);
    const friends = this.ctx.storage.kv.get<string[]>("friends");
    if (friends?.includes(otherId)) {
      this.ctx.storage.kv.put(
        "friends",
        friends.filter((id) => id !== otherId),
      );
    }
    await this.#syncListening(this.ctx.storage.kv.get<string>("self"));
  }

  /**
   * Tell the agent's shard whether this hub listens (an open personal socket or a watcher); returns the
   * agent's combined presence. Written to the shard only when it changes (kv "listening").
   */
  async #syncListening(
    agentId: string | undefined,
    closing?: WebSocket,
  ): Promise<{ presence: PresenceState; username: string | null }> {
    if (!agentId) return { presence: "offline", username: null };
    const on =
      this.#open(closing).length > 0 ||
      this.ctx.storage.sql.exec("select 1 from watchers limit 1").toArray().length > 0;
    const shard = presenceShard(this.env, agentId);
    if ((this.ctx.storage.kv.get<boolean>("listening") ?? false) === on) return shard.presenceListen(agentId, null);
    const answer = await shard.presenceListen(agentId, on);
    this.ctx.storage.kv.put("listening", on);
    return answer;
  }

  // ------------------------------------------------------------ the presence shard role (presence-shard.ts)
  #shardStore: PresenceShardStore | null = null;
  #shard(): PresenceShardStore {
    this.#shardStore ??= new PresenceShardStore(this.ctx.storage.sql);
    return this.#shardStore;
  }

  /**
   * Shard: a source (a channel object, or a hub for its personal socket) reports changes of its agents'
   * presence there; returns each agent's combined presence. Changes from a channel go on to the agent's
   * hub only when that hub listens (without waiting for it).
   */
  async presenceReports(source: string, reports: PresenceReport[]): Promise<PresenceOutcome[]> {
    const store = this.#shard();
    const now = Date.now();
    const out = reports.map((r) => store.apply(source, r, now));
    if (source === HUB_SOURCE) return out;
    reports.forEach((r, i) => {
      const o = out[i];
      const activity = r.state === "online";
      if (!o || !(o.changed || activity) || !store.listens(r.agentId)) return;
      this.ctx.waitUntil(
        this.#hub(r.agentId)
          .presenceHeard(r.agentId, o.combined, o.changed, activity, r.username)
          .catch((e: unknown) => logJson("warn", "presence forward failed", { agent_id: r.agentId, error: String(e) })),
      );
    });
    return out;
  }

  /** Shard: the agent's combined presence (offline when nothing is reported). */
  async presenceOf(agentId: string): Promise<PresenceState> {
    return this.#shard().combined(agentId);
  }

  /** Shard: where the agent is connected (channel ids and HUB_SOURCE). */
  async presenceSources(agentId: string): Promise<string[]> {
    return this.#shard().sources(agentId);
  }

  /**
   * Shard: the agent's hub starts or stops listening (`on` null: unchanged); returns the agent's combined
   * presence and the username its sources reported.
   */
  async presenceListen(
    agentId: string,
    on: boolean | null,
  ): Promise<{ presence: PresenceState; username: string | null }> {
    const store = this.#shard();
    if (on !== null) store.setListening(agentId, on);
    return { presence: store.combined(agentId), username: store.username(agentId) };
  }

  /**
   * Hub (listening): the shard forwards a change reported by a channel: the combined state moved
   * (`changed`: friends hear it), or the agent acted in a channel (`activity`: activity on the personal
   * socket too, hub-presence.ts).
   */
  async presenceHeard(
    agentId: string,
    combined: PresenceState,
    changed: boolean,
    activity: boolean,
    username?: string,
  ): Promise<void> {
    if (username && this.ctx.storage.kv.get<string>("username") !== username) {
      this.ctx.storage.kv.put("username", username);
    }
    if (activity && this.#open().length) await this.#setOwn(agentId, "online", false);
    // the personal socket's own report cannot move the combined state again (online is the top)
    if (changed) await this.#notifyWatchers(agentId, combined, username);
  }

  async #notifyWatchers(agentId: string, after: PresenceState, username?: string): Promise<void> {
    const me = { id: agentId, username: username ?? this.ctx.storage.kv.get<string>("username") ?? "" };
    const watchers = this.ctx.storage.sql.exec<{ agent_id: string }>("select agent_id from watchers").toArray();
    await Promise.all(
      watchers.map((w) =>
        this.#hub(w.agent_id)
          .friendPresence(me, after)
          .catch(() => 0),
      ),
    );
  }

  #open(except?: WebSocket): WebSocket[] {
    return this.ctx.getWebSockets().filter((w) => w !== except && w.readyState === WebSocket.OPEN);
  }

  /**
   * The personal socket's own presence changed (connect: online; timer: idle; last close: offline). When
   * the combined state moves, friends' hubs hear it and, with `persist`, agents.presence is written here
   * (changes that come from a channel are persisted by that channel object).
   */
  async #setOwn(agentId: string, state: PresenceState, persist = true): Promise<void> {
    const now = Date.now();
    if (state === "online") this.ctx.storage.kv.put("hub_active_at", now);
    writeHubPresence(this.ctx.storage.sql, state, now);
    if (state === "online") await this.#scheduleAlarm(now);
    const [o] = await presenceShard(this.env, agentId).presenceReports(HUB_SOURCE, [
      { agentId, state, connected: state !== "offline" },
    ]);
    if (!o?.changed) return;
    const after = o.combined;
    if (persist) {
      try {
        await persistPresence(this.#database(), [agentId], [after]);
      } catch (e) {
        logJson("warn", "hub presence write failed", { agent_id: agentId, error: String(e) });
      }
    }
    await this.#notifyWatchers(agentId, after);
  }

  #idleMs(): number {
    return this.ctx.storage.kv.get<number>("idle_ms") ?? LIMITS.idleTimeoutDefault * 1000;
  }

  /** The alarm serves two clocks: the 4-hour session cap and the personal socket's idle deadline. */
  async #scheduleAlarm(now: number, cap?: number | null): Promise<void> {
    const idle = hubPresenceDeadline(
      this.ctx.storage.kv.get<number>("hub_active_at") ?? now,
      this.#idleMs(),
      now,
      true,
    );
    const at = await this.ctx.storage.getAlarm();
    const want = [at, idle, cap].filter((t): t is number => typeof t === "number" && t > now);
    const next = want.length ? Math.min(...want) : null;
    if (next !== null && next !== at) await this.ctx.storage.setAlarm(next);
  }

  /**
   * One pool for the object's lifetime (issue 15: a pool per socket let one agent's 300 hub sockets open
   * ~200 database connections); dropped after a connection error and re-created on next use.
   */
  #db: Database | null = null;
  #database(): Database {
    this.#db ??= createDatabase(this.env);
    return this.#db;
  }

  /** The heartbeat hint, read at most once per HINT_CACHE_MS however many sockets connect. */
  #hint: { value: number; at: number } | null = null;
  #hintLoading: Promise<number> | null = null;
  /** bumped by configChanged(): a read that started before a change does not cache its answer */
  #hintGen = 0;

  async #heartbeatHint(agentId: string, requestId: string | undefined): Promise<number> {
    if (this.#hint && Date.now() - this.#hint.at < HINT_CACHE_MS) return this.#hint.value;
    const gen = this.#hintGen;
    this.#hintLoading ??= withActor(this.#database(), SYSTEM, (tx) =>
      tx.execute<{ h: number | null; idle: number | null; username: string }>(
        // issue 19: the owner's idle timeout caps the agent's own (least() ignores a null)
        sql`select c.heartbeat_hint_seconds as h, a.username,
                   least(coalesce(c.idle_timeout_seconds, ${LIMITS.idleTimeoutDefault}), o.idle_timeout_seconds) as idle
            from agents a left join agent_config c on c.agent_id = a.id left join agent_owners o on o.agent_id = a.id
            where a.id = ${agentId}`,
      ),
    )
      .then((rows) => {
        const row = rows.rows[0];
        const value = row?.h ?? LIMITS.heartbeatHintDefault;
        // the personal socket's idle clock and the name friends see (hub-presence.ts)
        if (row?.username) this.ctx.storage.kv.put("username", row.username);
        if (row?.idle) this.ctx.storage.kv.put("idle_ms", row.idle * 1000);
        if (gen === this.#hintGen) this.#hint = { value, at: Date.now() };
        return value;
      })
      .catch((e: unknown) => {
        logJson("warn", "hub hello config failed", { agent_id: agentId, error: String(e) }, requestId);
        const db = this.#db;
        this.#db = null;
        void db?.close();
        return LIMITS.heartbeatHintDefault;
      })
      .finally(() => {
        this.#hintLoading = null;
      });
    return this.#hintLoading;
  }

  /** The agent's config changed (PATCH /agents/@me/config): forget the cached heartbeat hint. */
  async configChanged(): Promise<void> {
    this.#hint = null;
    this.#hintLoading = null;
    this.#hintGen++;
  }

  /** The hello frame: the agent's heartbeat hint from its config (the spec's default without a row). */
  async #hello(ws: WebSocket, agentId: string, requestId: string | undefined): Promise<void> {
    const hint = await this.#heartbeatHint(agentId, requestId);
    safeSend(
      ws,
      JSON.stringify({ op: "hello", agent_id: agentId, heartbeat_hint_seconds: hint } satisfies HubServerOp),
    );
  }

  /** Load the friend list once per hub connection and watch each friend's hub. */
  async #watchFriends(agentId: string, requestId: string | undefined): Promise<void> {
    let friends: string[] = [];
    try {
      friends = await withActor(this.#database(), SYSTEM, async (tx) => {
        const f = await tx.execute<{ friend: string }>(
          sql`select case when agent_a_id = ${agentId} then agent_b_id else agent_a_id end as friend
              from friendships where agent_a_id = ${agentId} or agent_b_id = ${agentId}`,
        );
        return f.rows.map((x) => x.friend);
      });
    } catch (e) {
      logJson("warn", "friend list failed", { agent_id: agentId, error: String(e) }, requestId);
    }
    this.ctx.storage.kv.put("friends", friends);
    await Promise.all(
      friends.map(async (id) => {
        const r = await this.#hub(id)
          .watch(agentId, id)
          .catch(() => null);
        if (r && r.presence !== "offline" && r.username) {
          this.#broadcast({ op: "presence", agent: { id, username: r.username }, presence: r.presence });
        }
      }),
    );
  }

  /**
   * GET /ws: the route has verified an agent token; the agent id arrives in x-molt-actor-id, the request id
   * in x-molt-request-id (for this connection's log lines).
   */
  override async fetch(req: Request): Promise<Response> {
    const agentId = req.headers.get("x-molt-actor-id");
    const requestId = requestIdOf(req.headers.get(REQUEST_ID_HEADER));
    if (!agentId) return errorResponse(400, "bad_request", "bad internal request");
    // one agent holds at most SOCKET_LIMITS.hubSocketsPerAgent hub sockets (issue 15)
    if (this.ctx.getWebSockets().length >= SOCKET_LIMITS.hubSocketsPerAgent) {
      return errorResponse(
        429,
        "rate_limited",
        `at most ${SOCKET_LIMITS.hubSocketsPerAgent} hub sockets per agent; close one first`,
        { "Retry-After": "60" },
      );
    }
    const pair = new WebSocketPair();
    const first = this.ctx.getWebSockets().length === 0;
    this.ctx.acceptWebSocket(pair[1], [`agent:${agentId}`]);
    metricsFor(this.env, (p) => this.ctx.waitUntil(p)).count("socket.connect", "hub");
    const fam = req.headers.get("x-molt-token-family") || null;
    pair[1].serializeAttachment(HubAttachment.parse({ v: 1, agentId, connectedAt: Date.now(), fam }));
    this.gateway.opened(pair[1]);
    const cap = Date.now() + PROTOCOL_LIMITS.sessionMaxSeconds * 1000;
    await this.#scheduleAlarm(Date.now(), cap);
    if (this.ctx.storage.kv.get<string>("self") !== agentId) this.ctx.storage.kv.put("self", agentId);
    this.ctx.waitUntil(
      this.#hello(pair[1], agentId, requestId)
        .then(() => this.#syncListening(agentId))
        .then(() => this.#setOwn(agentId, "online"))
        .catch((e: unknown) =>
          console.warn(JSON.stringify({ level: "warn", msg: "hub presence failed", error: String(e) })),
        ),
    );
    if (first) this.ctx.waitUntil(this.#watchFriends(agentId, requestId));
    const headers = new Headers();
    if (req.headers.get("x-molt-subprotocol") === "1") headers.set("Sec-WebSocket-Protocol", SUBPROTOCOL);
    return new Response(null, { status: 101, webSocket: pair[0], headers });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    await this.gateway.message(ws, data);
  }

  /** RPC from a channel object: its broadcasts for this agent's gateway subscriptions, in order. */
  async gatewayFrames(channelId: string, items: HubItem[]): Promise<boolean> {
    return this.gateway.frames(channelId, items);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    replyToClose(ws, code);
    metricsFor(this.env, (p) => this.ctx.waitUntil(p)).count("socket.disconnect", "hub", String(code));
    this.gateway.closed(ws);
    await this.#maybeUnwatch(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.gateway.closed(ws);
    await this.#maybeUnwatch(ws);
  }

  async #maybeUnwatch(closing: WebSocket): Promise<void> {
    if (this.#open(closing).length) return;
    const a = HubAttachment.safeParse(closing.deserializeAttachment());
    const friends = this.ctx.storage.kv.get<string[]>("friends") ?? [];
    if (!a.success) return;
    await this.#setOwn(a.data.agentId, "offline");
    await Promise.all(
      friends.map((id) =>
        this.#hub(id)
          .unwatch(a.data.agentId)
          .catch(() => undefined),
      ),
    );
    await this.#syncListening(a.data.agentId, closing);
  }

  /** The 4-hour session cap for hub sockets, and the personal socket turning idle. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const cap = PROTOCOL_LIMITS.sessionMaxSeconds * 1000;
    let next: number | null = null;
    let agentId: string | null = null;
    for (const ws of this.ctx.getWebSockets()) {
      const a = HubAttachment.safeParse(ws.deserializeAttachment());
      if (a.success) agentId = a.data.agentId;
      const at = a.success ? a.data.connectedAt : now - cap;
      if (now >= at + cap) {
        safeClose(ws, CLOSE.sessionLimit, "session limit of 4 hours reached; reconnect");
        this.gateway.closed(ws);
      } else if (next === null || at + cap < next) next = at + cap;
    }
    const connected = this.#open().length > 0;
    const activeAt = this.ctx.storage.kv.get<number>("hub_active_at") ?? now;
    const own = hubPresenceAt(activeAt, this.#idleMs(), now, connected);
    if (agentId && connected && own !== readHubPresence(this.ctx.storage.sql)) {
      try {
        await this.#setOwn(agentId, own);
      } catch (e) {
        console.warn(
          JSON.stringify({ level: "warn", msg: "hub presence tick failed", agent_id: agentId, error: String(e) }),
        );
      }
    }
    const idle = hubPresenceDeadline(activeAt, this.#idleMs(), now, connected);
    if (idle !== null && (next === null || idle < next)) next = idle;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }
}
