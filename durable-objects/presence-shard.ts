// Issue 25: where an agent's presence across channels is combined, without an object per agent.
//
// An agent's presence is the most present of its per-channel states (and of its personal socket, "@hub").
// That combination used to live in the agent's own hub: every channel reported each change there, so an
// agent's first connect anywhere created its AgentHub object (locally a SQLite file of its own, created
// and committed on the runtime's thread; on Cloudflare a new object's storage), even for an agent that
// never opens GET /ws, has no friend watching it and is never notified.
//
// Now the combination lives in PRESENCE_SHARDS shard objects (instances of the AgentHub class named
// `presence:<n>`, so no new class or migration): a channel object queues its presence reports and sends
// them in one RPC per shard per flush round (a group flush: rounds follow each other, reports made during
// one go in the next), one SQLite row per (agent, source) in the shard.
// The shard answers each agent's combined state (the channel persists it to agents.presence and
// last_seen_at, as before) and forwards a change to the agent's own hub only when that hub *listens*:
// it holds a personal socket, or friends' hubs watch it (their presence frames, its own idle clock).
// The hub asks the shard on read: deliverEvent (wake suppression), revoke (the channels to close
// sockets in), watch (a friend's initial state).
//
// Soft state, like the hubs' rows it replaces: a deploy closes every socket, so it is rebuilt by the
// reconnects. Changing PRESENCE_SHARDS moves agents between shards: do it only with a deploy.
import type { Bindings } from "../common/env";
import type { PresenceState } from "../protocol";
import { combinePresence } from "./channel/presence";

/** Shard objects presence is combined in: each takes batched reports (~1,000 requests/s per object on Cloudflare). */
export const PRESENCE_SHARDS = 32;
/**
 * A channel object sends its queued presence reports this long after a change when no flush is in
 * flight (0: after the current turn); reports made during a flush go in the next round, right after it.
 */
export const PRESENCE_FLUSH_MS = 0;

/** Pure: the shard an agent's presence lives in (FNV-1a over the id; ids are lower-case UUIDs). */
export function presenceShardOf(agentId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < agentId.length; i++) {
    h ^= agentId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % PRESENCE_SHARDS;
}

export const presenceShardName = (shard: number) => `presence:${shard}`;

export function presenceShard(env: Pick<Bindings, "AGENT_HUB">, agentId: string) {
  return env.AGENT_HUB.get(env.AGENT_HUB.idFromName(presenceShardName(presenceShardOf(agentId))));
}

/** One change reported by a source (a channel id, or HUB_SOURCE for the personal socket). */
export interface PresenceReport {
  agentId: string;
  state: PresenceState;
  /** the agent still has a socket there (a quiet agent stays listed: revocation finds its sockets) */
  connected: boolean;
  username?: string;
}

export interface PresenceOutcome {
  agentId: string;
  combined: PresenceState;
  changed: boolean;
}

/** The shard's storage: rows per (agent, source) and the agents whose hub listens. */
export class PresenceShardStore {
  #ready = false;
  constructor(private readonly sqlite: SqlStorage) {}

  #init(): void {
    if (this.#ready) return;
    this.sqlite.exec(
      "create table if not exists agent_presence (agent_id text not null, source text not null, state text not null, at integer not null, username text, primary key (agent_id, source))",
    );
    this.sqlite.exec("create table if not exists listening (agent_id text primary key)");
    this.#ready = true;
  }

  combined(agentId: string): PresenceState {
    this.#init();
    const rows = this.sqlite
      .exec<{ state: string }>("select state from agent_presence where agent_id = ?", agentId)
      .toArray();
    return combinePresence(rows.map((r) => r.state as PresenceState));
  }

  /** The agent's username as a source last reported it (null: none did). */
  username(agentId: string): string | null {
    this.#init();
    const row = this.sqlite
      .exec<{ username: string }>(
        "select username from agent_presence where agent_id = ? and username is not null limit 1",
        agentId,
      )
      .toArray()[0];
    return row?.username ?? null;
  }

  /** The sources (channel ids and HUB_SOURCE) where the agent is connected. */
  sources(agentId: string): string[] {
    this.#init();
    return this.sqlite
      .exec<{ source: string }>("select source from agent_presence where agent_id = ?", agentId)
      .toArray()
      .map((r) => r.source);
  }

  apply(source: string, r: PresenceReport, now: number): PresenceOutcome {
    const before = this.combined(r.agentId);
    if (!r.connected) {
      this.sqlite.exec("delete from agent_presence where agent_id = ? and source = ?", r.agentId, source);
    } else {
      this.sqlite.exec(
        "insert into agent_presence (agent_id, source, state, at, username) values (?, ?, ?, ?, ?) on conflict (agent_id, source) do update set state = excluded.state, at = excluded.at, username = coalesce(excluded.username, agent_presence.username)",
        r.agentId,
        source,
        r.state,
        now,
        r.username ?? null,
      );
    }
    const combined = this.combined(r.agentId);
    return { agentId: r.agentId, combined, changed: combined !== before };
  }

  listens(agentId: string): boolean {
    this.#init();
    return this.sqlite.exec("select 1 from listening where agent_id = ?", agentId).toArray().length > 0;
  }

  setListening(agentId: string, on: boolean): void {
    this.#init();
    if (on) this.sqlite.exec("insert into listening (agent_id) values (?) on conflict do nothing", agentId);
    else this.sqlite.exec("delete from listening where agent_id = ?", agentId);
  }
}
