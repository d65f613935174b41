// The channel object's side of the fan-out relay tier (issue 25, docs/SCALE.md "The relay tier"). One
// channel object is single-threaded: past a few thousand read-only watchers its send loop, not Postgres,
// bounds the channel. Above RELAY_THRESHOLD viewer sockets (observers and anonymous viewers: they never
// post, so they need nothing from the channel but its frames) a new viewer is routed to one of
// RELAY_COUNT relay objects (durable-objects/relay/relay.ts) chosen by a hash of the client (its observer
// id, or its network when anonymous: one client always lands on the same relay, so the per-client socket
// cap holds there exactly). The channel then sends each frame once per active relay instead of once per
// socket; each relay sends it to its sockets.
//
// Order: at most one RPC per relay is in flight; frames that arrive meanwhile go together in the next one
// (a batch), so a relay receives the channel's frames in the channel's order. A failed call is retried
// twice, then dropped: the relay sees the seq gap on the next message and fetches it (relayReplay). Resume
// (after_seq / `resume`) on a relay is answered from this object (recent frames, else Postgres), so
// ordering, the viewer replay cap, edits, deletes and visibility are exactly those of a channel socket.
// Active relays are kept in the object's SQLite (they survive hibernation); queues are memory.
import type { Bindings } from "../../common/env";
import type { ChannelRelay } from "./relay";
import { RELAY_HEADERS, type RelayItem } from "./wire";

export interface RelayHost {
  readonly ctx: DurableObjectState;
  readonly env: Bindings;
  readonly channelId: string;
  log(msg: string, e: unknown): void;
}

/** Viewer sockets the channel object holds itself before routing new viewers to relays. */
export const DEFAULT_RELAY_THRESHOLD = 2_000;
/** Relays per channel (sockets per relay at 100,000 watchers: ~1,600). */
export const DEFAULT_RELAY_COUNT = 64;
/** Attempts per batch before it is dropped (the relay's gap detection then fetches it). */
export const RELAY_CALL_ATTEMPTS = 3;
/** A relay that reports no sockets is dropped from the active set only if nobody was routed to it lately. */
export const RELAY_IDLE_MS = 60_000;

const intVar = (v: unknown, dflt: number, min: number): number => {
  const n = typeof v === "string" && /^\d{1,9}$/.test(v) ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= min ? n : dflt;
};

/** FNV-1a, 32 bits: a stable, cheap spread of client keys over relays. */
export function relayIndex(key: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

export const relayName = (channelId: string, k: number) => `relay:${channelId}:${k}`;

export class RelayRouter {
  #threshold: number | null = null;
  #count: number | null = null;
  #active: Set<number> | null = null;
  #queues = new Map<number, RelayItem[]>();
  #draining = new Set<number>();
  #routedAt = new Map<number, number>();
  #stubs = new Map<number, DurableObjectStub<ChannelRelay>>();

  // built in RoomCore's field initialisers (host.env is not set yet): the settings are read on first use
  constructor(private readonly host: RelayHost) {}

  #vars(): Record<string, unknown> {
    return this.host.env as unknown as Record<string, unknown>;
  }

  /** Viewer sockets held here before routing (env RELAY_THRESHOLD; tests set it directly). */
  get threshold(): number {
    this.#threshold ??= intVar(this.#vars().RELAY_THRESHOLD, DEFAULT_RELAY_THRESHOLD, 0);
    return this.#threshold;
  }

  set threshold(n: number) {
    this.#threshold = n;
  }

  /** Relay objects per channel (env RELAY_COUNT). */
  get count(): number {
    this.#count ??= intVar(this.#vars().RELAY_COUNT, DEFAULT_RELAY_COUNT, 1);
    return this.#count;
  }

  set count(n: number) {
    this.#count = n;
    this.#stubs.clear();
  }

  #set(): Set<number> {
    if (!this.#active) {
      this.host.ctx.storage.sql.exec("create table if not exists relays (k integer primary key)");
      const rows = this.host.ctx.storage.sql.exec<{ k: number }>("select k from relays").toArray();
      this.#active = new Set(rows.map((r) => Number(r.k)));
    }
    return this.#active;
  }

  /** Relays currently fed by this channel. */
  get active(): number[] {
    return [...this.#set()].sort((a, b) => a - b);
  }

  /** Route a new viewer to a relay? (the channel already holds `threshold` viewer sockets) */
  shouldRoute(viewersHere: number): boolean {
    return viewersHere >= this.threshold;
  }

  #stub(k: number): DurableObjectStub<ChannelRelay> {
    let s = this.#stubs.get(k);
    if (!s) {
      const ns = this.host.env.CHANNEL_RELAY;
      s = ns.get(ns.idFromName(relayName(this.host.channelId, k)));
      this.#stubs.set(k, s);
    }
    return s;
  }

  /**
   * Hand a viewer's upgrade to its relay (access was decided by the channel object). The relay is made
   * active before the socket exists, so no frame broadcast after this call can miss it.
   */
  async connect(
    req: Request,
    clientKey: string,
    fields: { kind: "observer" | "anonymous"; id: string | null; net: string; contextVersion: string },
  ): Promise<Response> {
    const k = relayIndex(clientKey, this.count);
    const set = this.#set();
    if (!set.has(k)) {
      set.add(k);
      this.host.ctx.storage.sql.exec("insert into relays (k) values (?) on conflict do nothing", k);
    }
    this.#routedAt.set(k, Date.now());
    const headers = new Headers(req.headers);
    headers.set(RELAY_HEADERS.channel, this.host.channelId);
    headers.set(RELAY_HEADERS.kind, fields.kind);
    headers.set(RELAY_HEADERS.subject, fields.id ?? "");
    headers.set(RELAY_HEADERS.net, fields.net);
    headers.set(RELAY_HEADERS.clientKey, clientKey);
    headers.set(RELAY_HEADERS.index, String(k));
    headers.set(RELAY_HEADERS.contextVersion, fields.contextVersion);
    return this.#stub(k).fetch(new Request(req.url, { method: "GET", headers }));
  }

  /** A broadcast: one queued item per active relay (the frame string is shared, not copied). */
  fanout(data: string, seq: number | null): void {
    const set = this.#set();
    if (set.size === 0) return;
    const item: RelayItem = seq === null ? { d: data } : { d: data, s: seq };
    for (const k of set) this.#enqueue(k, item);
  }

  /** Close every relay's sockets (channel deleted or its readers changed); returns how many were closed. */
  async closeAll(code: number, reason: string): Promise<number> {
    const ks = this.active;
    const counts = await Promise.all(
      ks.map((k) =>
        this.#stub(k)
          .closeAll(code, reason)
          .catch((e: unknown) => {
            this.host.log("relay close failed", e);
            return 0;
          }),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  #enqueue(k: number, item: RelayItem): void {
    let q = this.#queues.get(k);
    if (!q) {
      q = [];
      this.#queues.set(k, q);
    }
    q.push(item);
    if (this.#draining.has(k)) return;
    this.#draining.add(k);
    this.host.ctx.waitUntil(this.#drain(k));
  }

  async #drain(k: number): Promise<void> {
    const relay = this.#stub(k);
    try {
      for (;;) {
        const q = this.#queues.get(k);
        if (!q || q.length === 0) break;
        this.#queues.delete(k);
        let sockets: number | null = null;
        for (let attempt = 1; attempt <= RELAY_CALL_ATTEMPTS && sockets === null; attempt++) {
          try {
            sockets = await relay.frames(this.host.channelId, q);
          } catch (e) {
            if (attempt === RELAY_CALL_ATTEMPTS) this.host.log("relay delivery failed; frames dropped", e);
          }
        }
        if (sockets === 0 && Date.now() - (this.#routedAt.get(k) ?? 0) > RELAY_IDLE_MS) this.#forget(k);
      }
    } finally {
      this.#draining.delete(k);
    }
  }

  #forget(k: number): void {
    if (!this.#set().delete(k)) return;
    this.host.ctx.storage.sql.exec("delete from relays where k = ?", k);
    this.#queues.delete(k);
  }
}
