// The channel object's side of the gateway (issue 17): which agents' hubs subscribe to this channel, and
// one ordered frame queue per hub. Every broadcast of the channel (messages, edits, deletes, reactions,
// typing, presence, slow mode) goes to the channel's receiving sockets and, through this, to each
// subscribed hub, which relays it to that agent's gateway sockets.
//
// Order: at most one RPC per hub is in flight; frames that arrive meanwhile go together in the next one.
// So a hub receives the channel's frames in the channel's order, and a slow hub gets batches instead of a
// backlog of calls (at 20 msg/s each call carries one frame; under load, many). Registrations live in the
// object's SQLite (they survive hibernation and eviction); the queues are memory and empty when idle.
// A failed call is retried twice, then its frames are dropped: the hub sees the seq gap on the next
// message and replays what it missed from here (hub.ts), so no message is lost for good.
import type { Bindings } from "../../common/env";
import type { ServerOp } from "../../protocol";
import type { UnsubscribedOp } from "../../protocol/gateway";
import type { CommittedMessage } from "../channel/writer";
import type { GatewayOrigin, HubItem, UnsubscribeReason } from "./wire";

export interface FanoutHost {
  readonly ctx: DurableObjectState;
  readonly env: Bindings;
  readonly channelId: string;
  log(msg: string, e: unknown): void;
  /** an agent's hub left: presence may go offline */
  hubLeft(agentId: string): void;
}

/** Attempts per queued batch before it is dropped (the hub's gap detection then replays it). */
export const HUB_CALL_ATTEMPTS = 3;

export class GatewayFanout {
  #hubs: Set<string> | null = null;
  #queues = new Map<string, HubItem[]>();
  #draining = new Set<string>();
  /** subscriptions waiting for their baseline seq: the first message seq broadcast since */
  #baselines = new Set<Baseline>();
  /** the newest message seq this object has broadcast (or read, see baseline()); null after waking */
  #last: number | null = null;
  /** hub stubs of registered agents (idFromName hashes the name: once per hub, not once per frame) */
  #stubs = new Map<string, DurableObjectStub<import("../agent-hub").AgentHub>>();

  // the table is created on first use: this is built in RoomCore's field initialisers
  constructor(private readonly host: FanoutHost) {}

  #set(): Set<string> {
    if (!this.#hubs) {
      this.host.ctx.storage.sql.exec("create table if not exists gateway_hubs (agent_id text primary key)");
      const rows = this.host.ctx.storage.sql.exec<{ agent_id: string }>("select agent_id from gateway_hubs").toArray();
      this.#hubs = new Set(rows.map((r) => r.agent_id));
    }
    return this.#hubs;
  }

  get size(): number {
    return this.#set().size;
  }

  has(agentId: string): boolean {
    return this.#set().has(agentId);
  }

  add(agentId: string): void {
    const set = this.#set();
    if (set.has(agentId)) return;
    set.add(agentId);
    this.host.ctx.storage.sql.exec("insert into gateway_hubs (agent_id) values (?) on conflict do nothing", agentId);
  }

  /** Forget a hub (its last gateway socket left this channel); presence follows. */
  remove(agentId: string): boolean {
    const set = this.#set();
    if (!set.delete(agentId)) return false;
    this.#stubs.delete(agentId);
    this.host.ctx.storage.sql.exec("delete from gateway_hubs where agent_id = ?", agentId);
    this.host.hubLeft(agentId);
    return true;
  }

  /** A broadcast: one queued item per subscribed hub (the frame string is shared, not copied). */
  fanout(data: string, seq: number | null): void {
    if (seq !== null) {
      this.#last = seq;
      for (const b of this.#baselines) b.saw(seq);
    }
    const set = this.#set();
    if (set.size === 0) return;
    const item: HubItem = seq === null ? { d: data } : { d: data, s: seq };
    for (const agentId of set) this.#enqueue(agentId, item);
  }

  /** The `message_ack` of a post made through a gateway socket, queued before its broadcast. */
  ack(origin: GatewayOrigin, m: CommittedMessage): void {
    const ack = {
      op: "message_ack",
      id: m.id,
      seq: m.seq,
      channel: m.channelId,
      nonce: m.nonce,
      timestamp: m.createdAt.toISOString(),
    };
    this.#enqueue(origin.agentId, { d: JSON.stringify(ack), to: origin.socket });
  }

  /** End an agent's subscription and tell its sockets why (ban, removal, suspension). */
  end(agentId: string, reason: UnsubscribeReason, message: string): boolean {
    if (!this.remove(agentId)) return false;
    this.#enqueue(agentId, { d: unsubscribedFrame(this.host.channelId, reason, message), end: reason });
    return true;
  }

  /** End every subscription (channel deleted, or its readers changed): each hub's sockets are told. */
  endAll(reason: UnsubscribeReason, message: string): number {
    const ids = [...this.#set()];
    for (const id of ids) this.end(id, reason, message);
    return ids.length;
  }

  /**
   * The cursor a fresh subscription continues from, exactly: every message after it reaches the hub
   * (registered just before this is called), every message up to it was broadcast before. Without a
   * query once the object has broadcast or read it. Otherwise Postgres' last_seq — unless a message is
   * broadcast meanwhile (then the seq before the first such), and after any commit in flight when the
   * query returned has been broadcast (its seq may be in the query's answer, its frame not yet out).
   */
  async baseline(query: () => Promise<number>, committing: () => Promise<void>): Promise<number> {
    if (this.#last !== null) return this.#last;
    const b = new Baseline();
    this.#baselines.add(b);
    try {
      const q = await query();
      if (b.first === null) await Promise.race([committing(), b.seen]);
      if (b.first !== null) return b.first - 1;
      this.#last ??= q;
      return q;
    } finally {
      this.#baselines.delete(b);
    }
  }

  #enqueue(agentId: string, item: HubItem): void {
    let q = this.#queues.get(agentId);
    if (!q) {
      q = [];
      this.#queues.set(agentId, q);
    }
    q.push(item);
    if (this.#draining.has(agentId)) return;
    this.#draining.add(agentId);
    this.host.ctx.waitUntil(this.#drain(agentId));
  }

  async #drain(agentId: string): Promise<void> {
    let hub = this.#stubs.get(agentId);
    if (!hub) {
      hub = this.host.env.AGENT_HUB.get(this.host.env.AGENT_HUB.idFromName(agentId));
      if (this.has(agentId)) this.#stubs.set(agentId, hub);
    }
    try {
      for (;;) {
        const q = this.#queues.get(agentId);
        if (!q || q.length === 0) break;
        this.#queues.delete(agentId);
        let subscribed: boolean | null = null;
        for (let attempt = 1; attempt <= HUB_CALL_ATTEMPTS && subscribed === null; attempt++) {
          try {
            subscribed = await hub.gatewayFrames(this.host.channelId, q);
          } catch (e) {
            if (attempt === HUB_CALL_ATTEMPTS) this.host.log("gateway delivery failed; frames dropped", e);
          }
        }
        // the hub has no socket subscribed here any more (it lost them without telling us): forget it
        if (subscribed === false) this.remove(agentId);
      }
    } finally {
      this.#draining.delete(agentId);
    }
  }
}

/** One subscription waiting for its baseline: the first message seq broadcast after it registered. */
class Baseline {
  first: number | null = null;
  #wake: () => void = () => {};
  readonly seen = new Promise<void>((r) => {
    this.#wake = r;
  });

  saw(seq: number): void {
    if (this.first !== null) return;
    this.first = seq;
    this.#wake();
  }
}

export function unsubscribedFrame(channel: string, reason: UnsubscribeReason, message?: string): string {
  const f: import("zod").infer<typeof UnsubscribedOp> = {
    op: "unsubscribed",
    channel,
    reason,
    ...(message ? { message } : {}),
  };
  return JSON.stringify(f);
}

/** The `context` frame for a gateway subscription: the spec's three tiers plus the channel's id. */
export function gatewayContext(
  meta: { serverInstructions: string | null; channelInstructions: string | null },
  channelId: string,
  platform: string,
): string {
  const f: ServerOp & { channel_id: string } = {
    op: "context",
    platform,
    server: meta.serverInstructions,
    channel: meta.channelInstructions,
    channel_id: channelId,
  };
  return JSON.stringify(f);
}
