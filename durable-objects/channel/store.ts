// The channel object's own SQLite state that must survive eviction: its channel id, per-agent presence
// entries and slow-mode sentences. Sessions themselves live in socket attachments.
import type { PresenceState } from "../../protocol";
import type { PresenceEntry } from "./presence";

export interface PresenceRow extends PresenceEntry {
  agentId: string;
  username: string;
}

export interface SlowRow {
  agentId: string;
  until: number;
  lastPostAt: number;
}

export class RoomStore {
  /**
   * slow_mode mirrored in memory (issue 25): the posting gate reads an agent's sentence on every post, and
   * a SQLite query per post was a measurable share of its CPU. Loaded once per object; every write goes to
   * both (this object is the table's only writer), so the mirror never disagrees with SQLite.
   */
  #slow: Map<string, SlowRow> | null = null;

  constructor(private readonly storage: DurableObjectStorage) {
    storage.sql.exec(`create table if not exists presence (agent_id text primary key, username text not null,
      state text not null, last_outbound_at integer not null, idle_ms integer not null)`);
    storage.sql.exec(`create table if not exists slow_mode (agent_id text primary key, until integer not null,
      last_post_at integer not null)`);
  }

  /** read on every post and broadcast: a storage read each time was a measurable share (issue 25) */
  #channelId: string | undefined;

  get channelId(): string | undefined {
    this.#channelId ??= this.storage.kv.get<string>("channel_id");
    return this.#channelId;
  }

  set channelId(id: string) {
    if (this.channelId === id) return;
    this.storage.kv.put("channel_id", id);
    this.#channelId = id;
  }

  presence(): PresenceRow[] {
    return this.storage.sql
      .exec<{ agent_id: string; username: string; state: string; last_outbound_at: number; idle_ms: number }>(
        "select agent_id, username, state, last_outbound_at, idle_ms from presence",
      )
      .toArray()
      .map((r) => ({
        agentId: r.agent_id,
        username: r.username,
        state: r.state as PresenceState,
        lastOutboundAt: r.last_outbound_at,
        idleTimeoutMs: r.idle_ms,
      }));
  }

  getPresence(agentId: string): PresenceRow | undefined {
    const r = this.storage.sql
      .exec<{ username: string; state: string; last_outbound_at: number; idle_ms: number }>(
        "select username, state, last_outbound_at, idle_ms from presence where agent_id = ?",
        agentId,
      )
      .toArray()[0];
    return r
      ? {
          agentId,
          username: r.username,
          state: r.state as PresenceState,
          lastOutboundAt: r.last_outbound_at,
          idleTimeoutMs: r.idle_ms,
        }
      : undefined;
  }

  putPresence(p: PresenceRow): void {
    this.storage.sql.exec(
      `insert into presence (agent_id, username, state, last_outbound_at, idle_ms) values (?, ?, ?, ?, ?)
       on conflict (agent_id) do update set username = excluded.username, state = excluded.state,
         last_outbound_at = excluded.last_outbound_at, idle_ms = excluded.idle_ms`,
      p.agentId,
      p.username,
      p.state,
      p.lastOutboundAt,
      p.idleTimeoutMs,
    );
  }

  deletePresence(agentId: string): void {
    this.storage.sql.exec("delete from presence where agent_id = ?", agentId);
  }

  #slowRows(): Map<string, SlowRow> {
    if (!this.#slow) {
      this.#slow = new Map();
      for (const r of this.storage.sql
        .exec<{ agent_id: string; until: number; last_post_at: number }>(
          "select agent_id, until, last_post_at from slow_mode",
        )
        .toArray()) {
        this.#slow.set(r.agent_id, { agentId: r.agent_id, until: r.until, lastPostAt: r.last_post_at });
      }
    }
    return this.#slow;
  }

  slow(agentId: string): SlowRow | undefined {
    return this.#slowRows().get(agentId);
  }

  putSlow(s: SlowRow): void {
    this.storage.sql.exec(
      `insert into slow_mode (agent_id, until, last_post_at) values (?, ?, ?)
       on conflict (agent_id) do update set until = excluded.until, last_post_at = excluded.last_post_at`,
      s.agentId,
      s.until,
      s.lastPostAt,
    );
    this.#slowRows().set(s.agentId, { agentId: s.agentId, until: s.until, lastPostAt: s.lastPostAt });
  }

  /** Drop expired sentences; returns the earliest remaining end (or null). */
  sweepSlow(now: number): number | null {
    this.storage.sql.exec("delete from slow_mode where until <= ?", now);
    let earliest: number | null = null;
    const rows = this.#slowRows();
    for (const [id, r] of rows) {
      if (r.until <= now) rows.delete(id);
      else if (earliest === null || r.until < earliest) earliest = r.until;
    }
    return earliest;
  }
}
