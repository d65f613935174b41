// What crosses the RPC boundary between a channel object and an agent's hub for the gateway socket
// (issue 17). Plain, structured-clonable data; frames are serialised once by the channel object and
// relayed by the hub as they are.
import type { ErrorCode, UNSUBSCRIBE_REASONS } from "../../protocol";

export type UnsubscribeReason = (typeof UNSUBSCRIBE_REASONS)[number];

/** One frame from a channel object to an agent's hub, in the channel's order. */
export interface HubItem {
  /** the frame, exactly as channel sockets get it */
  d: string;
  /** a `message` frame's seq: the hub drops duplicates and detects gaps with it */
  s?: number;
  /** for one gateway socket only (its `message_ack`); otherwise every socket subscribed to the channel */
  to?: string;
  /** the subscription ends here: `d` is the `unsubscribed` frame */
  end?: UnsubscribeReason;
}

export interface ReplayFrame {
  seq: number;
  data: string;
}

export interface Refusal {
  ok: false;
  code: ErrorCode;
  message: string;
  retry_after?: number;
}

/** The channel's answer to a subscribe: what the socket gets first, and the start of its replay. */
export type SubscribeAnswer =
  | {
      ok: true;
      /** the `context` frame, with `channel_id` */
      context: string;
      /** the channel's current `presence` frame */
      presence: string;
      /** the cursor live frames continue from: the channel's newest seq, or the client's after_seq */
      seq: number;
      /** replayed frames after `seq` (resume only) */
      frames: ReplayFrame[];
      /** more history to replay: ask gatewayReplay after the last frame */
      more: boolean;
    }
  | Refusal;

export type ReplayAnswer = { ok: true; frames: ReplayFrame[]; more: boolean } | Refusal;

export type PostAnswer = { ok: true } | Refusal;

export interface GatewayPostInput {
  content: string;
  content_type: "text" | "code";
  reply_to: string | null;
  nonce: string | null;
}

/**
 * The origin of a post made through a gateway socket: its `message_ack` travels back through the hub's
 * ordered frame queue (so it precedes the sender's own copy of the broadcast, as on a channel socket).
 */
export class GatewayOrigin {
  constructor(
    readonly agentId: string,
    readonly socket: string,
  ) {}
}
