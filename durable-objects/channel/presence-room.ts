// Presence inside one channel object: the per-agent entries (SQLite, survive eviction), the coalesced
// `presence` broadcast, batched reports to the presence shards (issue 25: one RPC per shard per flush
// round, never an agent's own hub, so a connect creates no AgentHub) and the batched write of
// agents.presence / last_seen_at. The state machine itself is pure (presence.ts).

import type { Database } from "../../common/db/client";
import type { Bindings } from "../../common/env";
import { persistPresence } from "../../common/presence";
import type { PresenceState, ServerOp } from "../../protocol";
import { PRESENCE_FLUSH_MS, type PresenceReport, presenceShardName, presenceShardOf } from "../presence-shard";
import type { MemberInfo } from "./access";
import { nextPresenceDeadline, onOutbound, presenceAt } from "./presence";
import { agentTag, RECEIVER_TAG, readAttachment } from "./sockets";
import type { RoomStore } from "./store";

/** Presence changes are broadcast to the channel at most this often (a connect storm sends one list). */
export const PRESENCE_BROADCAST_MS = 1000;
/**
 * The presence frame is the whole list (spec: `{op: "presence", online: [...]}`), sent to every socket,
 * so one broadcast costs sockets × list length: quadratic in the channel's size. Past this many sockets
 * the interval grows with the count (1,000 sockets: every 5 s), which caps the presence bytes a channel
 * sends per second to ~200 sockets' worth of lists, whatever its size. Issue 9, measured in bench d/e.
 */
export const PRESENCE_SOCKETS_PER_BROADCAST = 200;

/** Pure: the shortest interval between two presence broadcasts in a channel with `sockets` sockets. */
export function presenceInterval(sockets: number): number {
  return PRESENCE_BROADCAST_MS * Math.max(1, Math.ceil(sockets / PRESENCE_SOCKETS_PER_BROADCAST));
}

export interface PresenceHost {
  readonly ctx: DurableObjectState;
  readonly env: Bindings;
  readonly store: RoomStore;
  readonly channelId: string;
  now(): number;
  db(): Database;
  dbFailed(e: unknown): void;
  log(msg: string, e: unknown): void;
  scheduleAt(at: number): Promise<void>;
  broadcastRaw(data: string): void;
  username(agentId: string): string | undefined;
  /** subscribed through its gateway socket (counts as connected, like a socket) */
  gatewayHas(agentId: string): boolean;
}

export class RoomPresence {
  /** changed since the last broadcast (sent by the next tick) */
  #dirty = false;
  #cache: string | null = null;
  /** combined presence to write at the next tick, in one statement */
  #toPersist = new Map<string, PresenceState>();
  #lastBroadcastAt = 0;
  /** reports not yet sent to the shards (the latest per agent wins) */
  #outbox = new Map<string, PresenceReport>();
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** one flush at a time, so an agent's reports reach its shard in order */
  #flushing: Promise<void> | null = null;

  constructor(private readonly host: PresenceHost) {}

  /**
   * The channel's presence list as one serialised frame, rebuilt at most once per tick while presence is
   * changing (a socket connecting during a storm gets the list as of the last broadcast; the coalesced
   * broadcast that follows within PRESENCE_BROADCAST_MS brings it up to date).
   */
  frame(): string {
    this.#cache ??= this.#build();
    return this.#cache;
  }

  #build(): string {
    const online: string[] = [];
    const idle: string[] = [];
    for (const p of this.host.store.presence()) {
      if (p.state === "offline") continue;
      online.push(p.username);
      if (p.state === "idle") idle.push(p.username);
    }
    online.sort();
    idle.sort();
    return JSON.stringify({ op: "presence", channel: this.host.channelId, online, idle } satisfies ServerOp);
  }

  /** Connect or outbound action (send, react, typing): online, timer reset. */
  outbound(m: MemberInfo, now: number): void {
    const store = this.host.store;
    const prev = store.getPresence(m.agentId);
    const idleMs = m.idleTimeoutSeconds * 1000;
    const next = onOutbound(prev, now, idleMs);
    store.putPresence({ ...next, idleTimeoutMs: idleMs, agentId: m.agentId, username: m.username });
    if (prev?.state !== "online") this.#changed(m.agentId, "online", m.username);
    this.host.ctx.waitUntil(this.host.scheduleAt(now + Math.ceil(idleMs / 2)));
  }

  /** A socket closed: offline when it was the agent's last one here. */
  disconnected(ws: WebSocket): void {
    const att = readAttachment(ws);
    if (att?.kind !== "agent" || !att.id) return;
    this.gone(att.id, ws, att.username ?? undefined);
  }

  /** Offline unless the agent still has another open socket or a gateway subscription here. */
  gone(agentId: string, closing: WebSocket | null, username?: string): void {
    const open = (s: WebSocket) => s !== closing && s.readyState === WebSocket.OPEN;
    if (this.host.ctx.getWebSockets(agentTag(agentId)).some(open) || this.host.gatewayHas(agentId)) return;
    const prev = this.host.store.getPresence(agentId);
    if (!prev) return;
    this.host.store.deletePresence(agentId);
    if (prev.state !== "offline") this.#changed(agentId, "offline", username ?? prev.username, false);
    else this.#report(agentId, "offline", username ?? prev.username, false);
  }

  #changed(agentId: string, state: "online" | "idle" | "offline", username?: string, connected = true): void {
    const h = this.host;
    this.#dirty = true;
    h.ctx.waitUntil(h.scheduleAt(h.now() + PRESENCE_BROADCAST_MS));
    this.#report(agentId, state, username, connected);
  }

  /**
   * Tell the agent's presence shard (presence-shard.ts) its state here and whether the agent still has a
   * socket here (the shard lists the channels an agent is connected to, quiet or not, so a revocation
   * reaches every socket). Queued (group flush below): a connect storm sends one report per shard per round.
   */
  #report(agentId: string, state: "online" | "idle" | "offline", username: string | undefined, connected: boolean) {
    this.#outbox.set(agentId, { agentId, state, connected, username: username ?? this.host.username(agentId) });
    this.#armFlush();
  }

  /**
   * Group flush, like the group committer: with no flush in flight the reports go at once (after the
   * current turn, so a batch of events handled together goes together); reports made while one is in
   * flight wait for it and go together in the next round. A quiet channel adds no delay (a mention right
   * after a connect finds the agent live), a storm batches by itself.
   */
  #armFlush(): void {
    if (this.#flushing || this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null;
      this.host.ctx.waitUntil(this.flushReports());
    }, PRESENCE_FLUSH_MS);
  }

  /** Send the queued reports, one RPC per shard; their answers (combined presence) are persisted by tick. */
  flushReports(): Promise<void> {
    this.#flushing ??= (async () => {
      try {
        while (this.#outbox.size) await this.#flushOnce();
      } finally {
        this.#flushing = null;
      }
    })();
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    if (!this.#outbox.size) return;
    const h = this.host;
    const byShard = new Map<number, PresenceReport[]>();
    for (const r of this.#outbox.values()) {
      const n = presenceShardOf(r.agentId);
      const list = byShard.get(n);
      if (list) list.push(r);
      else byShard.set(n, [r]);
    }
    this.#outbox.clear();
    await Promise.all(
      [...byShard].map(async ([n, reports]) => {
        try {
          const shard = h.env.AGENT_HUB.get(h.env.AGENT_HUB.idFromName(presenceShardName(n)));
          for (const o of await shard.presenceReports(h.channelId, reports)) this.#toPersist.set(o.agentId, o.combined);
        } catch (e) {
          h.log("presence report failed", e);
        }
      }),
    );
    if (this.#toPersist.size) await h.scheduleAt(h.now() + PRESENCE_BROADCAST_MS);
  }

  /** Apply transitions due at `now`, broadcast once if anything changed, persist; next deadline. */
  async tick(now: number): Promise<number | null> {
    const store = this.host.store;
    let next: number | null = null;
    for (const p of store.presence()) {
      const sockets = this.host.ctx.getWebSockets(agentTag(p.agentId));
      const connected = sockets.some((s) => s.readyState === WebSocket.OPEN) || this.host.gatewayHas(p.agentId);
      const state = presenceAt(p, now, connected);
      if (!connected) store.deletePresence(p.agentId);
      else if (state !== p.state) store.putPresence({ ...p, state });
      if (state !== p.state) this.#changed(p.agentId, state === "dnd" ? "online" : state, p.username, connected);
      else if (!connected) this.#report(p.agentId, "offline", p.username, false);
      const t = nextPresenceDeadline(p, now, connected);
      if (t !== null && (next === null || t < next)) next = t;
    }
    if (this.#dirty) {
      const due = this.#lastBroadcastAt + presenceInterval(this.host.ctx.getWebSockets(RECEIVER_TAG).length);
      // a clock that stepped back (an injected one in tests) never postpones a broadcast
      if (now >= due || now < this.#lastBroadcastAt) {
        this.#dirty = false;
        this.#cache = null;
        this.#lastBroadcastAt = now;
        this.host.broadcastRaw(this.frame());
      } else if (next === null || due < next) next = due;
    }
    await this.#persist();
    if (this.#toPersist.size && (next === null || now + PRESENCE_BROADCAST_MS < next)) {
      next = now + PRESENCE_BROADCAST_MS;
    }
    return next;
  }

  async #persist(): Promise<void> {
    if (!this.#toPersist.size) return;
    const batch = [...this.#toPersist];
    this.#toPersist.clear();
    try {
      await persistPresence(
        this.host.db(),
        batch.map(([id]) => id),
        batch.map(([, p]) => p),
      );
    } catch (e) {
      this.host.dbFailed(e);
    }
  }
}
