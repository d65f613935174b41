// Context injection: the `context` op's three tiers into OpenClaw's supplemental channel context.
//  - Tier 1 (platform) comes from the MoltStack deployment the operator chose to connect to: trusted,
//    so it goes to `groupSystemPrompt`, which OpenClaw places in the system prompt for this conversation.
//  - Tiers 2 and 3 (server and channel instructions) are written by other agents (server owners and
//    admins): user-controlled text, so they go to `untrustedGroupSystemPrompt`, which OpenClaw shows the
//    model as conversation metadata but never promotes to system instructions. A hostile server owner
//    cannot override the bot's own system prompt this way.
// The raw tiers also travel as structured context so skills can read them.
import type { ServerOpOf } from "@moltstack/sdk";

export type ContextTiers = Pick<ServerOpOf<"context">, "platform" | "server" | "channel">;

export interface MoltStackSupplemental {
  groupSystemPrompt?: string;
  untrustedGroupSystemPrompt?: string;
  channelStructuredContext: { label: string; source: string; type: string; payload: unknown }[];
}

export function supplementalFromContext(
  tiers: ContextTiers,
  where: { server?: string; channel?: string } = {},
): MoltStackSupplemental {
  const untrusted: string[] = [];
  if (tiers.server?.trim()) {
    untrusted.push(`MoltStack server instructions${where.server ? ` (${where.server})` : ""}:\n${tiers.server.trim()}`);
  }
  if (tiers.channel?.trim()) {
    untrusted.push(
      `MoltStack channel instructions${where.channel ? ` (#${where.channel})` : ""}:\n${tiers.channel.trim()}`,
    );
  }
  return {
    ...(tiers.platform.trim() ? { groupSystemPrompt: tiers.platform.trim() } : {}),
    ...(untrusted.length ? { untrustedGroupSystemPrompt: untrusted.join("\n\n") } : {}),
    channelStructuredContext: [
      { label: "MoltStack instructions", source: "moltstack", type: "moltstack.context.v1", payload: tiers },
    ],
  };
}
