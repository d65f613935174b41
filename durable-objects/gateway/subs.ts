// The hub's table of gateway subscriptions: which of the agent's gateway sockets subscribe to which
// channel, and per (socket, channel) the delivery state. Rows live in the hub's SQLite (a socket's
// attachment is limited to 2 KB, too small for 100 channel ids) keyed by the socket's gateway id, which
// is in its attachment; the in-memory index is rebuilt from both after hibernation.
import { PROTOCOL_LIMITS } from "../../protocol";
import type { HubItem } from "./wire";

/** Delivery state of one channel on one socket. */
export interface Sub {
  /** false while the channel's replay runs: live frames wait in `buf` (then released in seq order) */
  live: boolean;
  buf: HubItem[];
  /** the last message seq sent to the socket (null: unknown, e.g. after hibernation) */
  last: number | null;
}

/** Live frames a socket may hold back during one replay; past it, the subscription ends (`unavailable`). */
export const REPLAY_BUFFER_MAX = PROTOCOL_LIMITS.gatewayReplayBuffer;

export interface SocketIdent {
  sid: string;
  agentId: string;
}

/** Read a hub socket's identity from its attachment (the hub's fields plus `gw`, the gateway id). */
export function readIdent(ws: WebSocket): { sid: string | null; agentId: string | null; raw: Record<string, unknown> } {
  let raw: unknown;
  try {
    raw = ws.deserializeAttachment();
  } catch {
    raw = null;
  }
  const rec = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  return {
    sid: typeof rec.gw === "string" ? rec.gw : null,
    agentId: typeof rec.agentId === "string" ? rec.agentId : null,
    raw: rec,
  };
}

export class SubIndex {
  readonly bySid = new Map<string, WebSocket>();
  readonly subs = new Map<string, Map<WebSocket, Sub>>();
  readonly bySocket = new Map<WebSocket, Set<string>>();
  /** channels whose only subscribers were sockets gone while the hub slept (tell those channels) */
  orphans: string[] = [];

  constructor(private readonly sql: SqlStorage) {}

  /** Rebuild from the live sockets and the stored rows; rows of sockets that are gone are deleted. */
  static load(sql: SqlStorage, sockets: readonly WebSocket[], sidOf: (ws: WebSocket) => string | null): SubIndex {
    sql.exec(
      "create table if not exists gw_subs (sid text not null, channel_id text not null, primary key (sid, channel_id))",
    );
    const idx = new SubIndex(sql);
    for (const ws of sockets) {
      const sid = sidOf(ws);
      if (sid) idx.bySid.set(sid, ws);
    }
    const stale = new Set<string>();
    const staleChannels = new Set<string>();
    for (const r of sql.exec<{ sid: string; channel_id: string }>("select sid, channel_id from gw_subs").toArray()) {
      const ws = idx.bySid.get(r.sid);
      if (ws) idx.#put(ws, r.channel_id, { live: true, buf: [], last: null });
      else {
        stale.add(r.sid);
        staleChannels.add(r.channel_id);
      }
    }
    for (const sid of stale) sql.exec("delete from gw_subs where sid = ?", sid);
    idx.orphans = [...staleChannels].filter((ch) => !idx.subs.has(ch));
    return idx;
  }

  get(ws: WebSocket, channel: string): Sub | undefined {
    return this.subs.get(channel)?.get(ws);
  }

  channelsOf(ws: WebSocket): ReadonlySet<string> {
    return this.bySocket.get(ws) ?? new Set();
  }

  /** Subscribe (or re-subscribe: the new state replaces the old). */
  set(ws: WebSocket, sid: string, channel: string, sub: Sub): void {
    const fresh = !this.bySocket.get(ws)?.has(channel);
    this.#put(ws, channel, sub);
    if (fresh) {
      this.sql.exec("insert into gw_subs (sid, channel_id) values (?, ?) on conflict do nothing", sid, channel);
    }
  }

  #put(ws: WebSocket, channel: string, sub: Sub): void {
    let m = this.subs.get(channel);
    if (!m) {
      m = new Map();
      this.subs.set(channel, m);
    }
    m.set(ws, sub);
    let s = this.bySocket.get(ws);
    if (!s) {
      s = new Set();
      this.bySocket.set(ws, s);
    }
    s.add(channel);
  }

  /** Remove one subscription; true when no socket of the agent is subscribed to the channel any more. */
  delete(ws: WebSocket, sid: string | null, channel: string): boolean {
    const m = this.subs.get(channel);
    if (!m?.delete(ws)) return false;
    this.bySocket.get(ws)?.delete(channel);
    if (sid) this.sql.exec("delete from gw_subs where sid = ? and channel_id = ?", sid, channel);
    if (m.size > 0) return false;
    this.subs.delete(channel);
    return true;
  }

  /** A socket is gone: its subscriptions go; returns the channels nobody subscribes to any more. */
  drop(ws: WebSocket, sid: string | null): string[] {
    const empty: string[] = [];
    for (const ch of [...this.channelsOf(ws)]) if (this.delete(ws, sid, ch)) empty.push(ch);
    this.bySocket.delete(ws);
    if (sid) {
      this.bySid.delete(sid);
      this.sql.exec("delete from gw_subs where sid = ?", sid);
    }
    return empty;
  }
}
