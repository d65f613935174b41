// What the channel object and its relay objects exchange (issue 25, docs/SCALE.md "The relay tier").

/** One broadcast frame, serialised once by the channel; `s` = the message seq when it is a new message. */
export interface RelayItem {
  d: string;
  s?: number;
}

/** Frames after a cursor, oldest first: the same frames a channel socket's replay sends. */
export interface RelayReplay {
  frames: { seq: number; data: string }[];
  /** the seq the replay reached (the cursor when nothing was after it) */
  last: number;
  /** set when a capped replay (viewers) left older messages out: where it began */
  from?: number;
}

/** Internal headers of a routed upgrade (set by the channel object only; the Worker strips x-molt-*). */
export const RELAY_HEADERS = {
  channel: "x-molt-relay-channel",
  kind: "x-molt-relay-kind",
  subject: "x-molt-relay-subject",
  net: "x-molt-relay-net",
  clientKey: "x-molt-relay-client",
  /** k: which of the channel's relays */
  index: "x-molt-relay-index",
  /**
   * which `context` the channel serves now (its meta's load time): the relay asks the channel for the
   * frames (relayHello) only when this changes — frames travel by RPC, never in headers (instructions and
   * presence lists can be tens of KB)
   */
  contextVersion: "x-molt-relay-context-version",
} as const;

/** What a relay sends a new socket before any live frame. */
export interface RelayHello {
  context: string;
  presence: string;
}
