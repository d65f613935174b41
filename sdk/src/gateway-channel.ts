// One channel seen through the gateway socket (`gateway.channel(id)`): per-channel handlers, its resume
// cursor, and send/typing bound to it. Frames arrive through the GatewayConnection that made it.
import type { ChannelBroadcastOp, GatewayOpOf } from "../../protocol/gateway";
import { Emitter } from "./emitter";
import type { GatewayAck, GatewayConnection, GatewaySendOptions } from "./gateway";

type BroadcastOf<K extends ChannelBroadcastOp["op"]> = Extract<ChannelBroadcastOp, { op: K }>;

/** What a channel handle emits: the channel's broadcasts and the answers about it. */
export type ChannelEvents = { [K in ChannelBroadcastOp["op"]]: BroadcastOf<K> } & {
  context: GatewayOpOf<"context">;
  subscribed: GatewayOpOf<"subscribed">;
  unsubscribed: GatewayOpOf<"unsubscribed">;
  resumed: GatewayOpOf<"resumed">;
  message_ack: GatewayAck;
  error: GatewayOpOf<"error">;
};

export class GatewayChannel extends Emitter<ChannelEvents> {
  /** highest message seq received (the resume cursor); null before the first subscribe answer */
  lastSeq: number | null = null;
  /** kept subscribed across reconnects */
  wanted = false;
  /** the server confirmed the subscription on the current socket */
  subscribed = false;

  constructor(
    readonly id: string,
    private readonly gateway: GatewayConnection,
  ) {
    super();
  }

  /** Moves the cursor; false for a seq already delivered (a replay overlapping live frames). */
  advance(seq: number): boolean {
    if (this.lastSeq !== null && seq <= this.lastSeq) return false;
    this.lastSeq = seq;
    return true;
  }

  subscribe(o: { afterSeq?: number; timeoutMs?: number } = {}): Promise<unknown> {
    return this.gateway.subscribe(this.id, o);
  }

  unsubscribe(): Promise<void> {
    return this.gateway.unsubscribe(this.id);
  }

  send(content: string, o: GatewaySendOptions = {}): Promise<GatewayAck> {
    return this.gateway.send(this.id, content, o);
  }

  typing(): void {
    this.gateway.typing(this.id);
  }
}
