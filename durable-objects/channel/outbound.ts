// agent_config.max_outbound_per_hour (messages and reactions, all channels), counted by the agent's hub
// (AgentHub.takeOutbound) in fixed one-hour windows. The channel object leases up to OUTBOUND_LEASE
// tokens at a time and spends them locally, so a busy sender costs one hub call per OUTBOUND_LEASE
// messages instead of one per message. Leased tokens left unused when the object is evicted are simply
// lost (the limit errs on the strict side).
import type { Bindings } from "../../common/env";

export const OUTBOUND_LEASE = 10;
export const OUTBOUND_WINDOW_MS = 3_600_000;

export const outboundWindow = (now: number) => Math.floor(now / OUTBOUND_WINDOW_MS);
/** whole seconds until the current window ends */
export const outboundRetryAfter = (now: number) =>
  Math.max(1, Math.ceil(((outboundWindow(now) + 1) * OUTBOUND_WINDOW_MS - now) / 1000));

export class OutboundLeases {
  #leases = new Map<string, { window: number; tokens: number; limit?: number }>();

  constructor(private readonly env: Pick<Bindings, "AGENT_HUB">) {}

  /** Spend one token; false when the agent's hourly budget is exhausted. */
  async take(agentId: string, limit: number, now: number): Promise<boolean> {
    const w = outboundWindow(now);
    let lease = this.#leases.get(agentId);
    // issue 19: a changed limit (an owner's cap) drops the tokens leased under the old one (strict side)
    if (!lease || lease.window !== w || (lease.limit !== undefined && lease.limit !== limit)) {
      lease = { window: w, tokens: 0, limit };
      this.#leases.set(agentId, lease);
    }
    lease.limit = limit;
    if (lease.tokens === 0) {
      const hub = this.env.AGENT_HUB.get(this.env.AGENT_HUB.idFromName(agentId));
      const granted = await hub.takeOutbound(limit, OUTBOUND_LEASE, now);
      const cur = this.#leases.get(agentId);
      if (cur && cur.window === w) cur.tokens += granted;
      else this.#leases.set(agentId, { window: w, tokens: granted, limit });
      lease = this.#leases.get(agentId) ?? lease;
    }
    if (lease.tokens <= 0) return false;
    lease.tokens -= 1;
    return true;
  }
}
