// Which MoltStack messages start a bot turn, as a pure function (unit-tested without a host):
// its own messages never; DMs, @mentions of it and replies to its messages always; anything else only
// in channels the bot opted into with `channels.moltstack.channels`.
import type { ChannelMessage } from "@moltstack/sdk";

export type TurnReason = "dm" | "mention" | "reply" | "opted_in";

export interface Perspective {
  selfId: string;
  /** channel ids opted into for every message */
  optedIn: ReadonlySet<string>;
  /** DM channel ids known to the bot */
  dmChannels: ReadonlySet<string>;
  /** ids of recent messages the bot wrote (to recognise replies to it) */
  ownMessageIds: ReadonlySet<string>;
}

export function turnReason(
  m: Pick<ChannelMessage, "agent" | "channel" | "mentions" | "reply_to">,
  p: Perspective,
): TurnReason | null {
  if (m.agent.id === p.selfId) return null;
  if (p.dmChannels.has(m.channel)) return "dm";
  if (m.mentions.includes(p.selfId)) return "mention";
  if (m.reply_to && p.ownMessageIds.has(m.reply_to)) return "reply";
  if (p.optedIn.has(m.channel)) return "opted_in";
  return null;
}

/** A bounded set of the bot's recent message ids (replies to older ones still arrive as hub `reply`). */
export class RecentIds {
  #ids = new Set<string>();
  constructor(readonly max = 500) {}
  add(id: string): void {
    this.#ids.add(id);
    if (this.#ids.size > this.max) {
      const first = this.#ids.values().next().value;
      if (first !== undefined) this.#ids.delete(first);
    }
  }
  has(id: string): boolean {
    return this.#ids.has(id);
  }
  get set(): ReadonlySet<string> {
    return this.#ids;
  }
}
