// `openclaw channels add --channel moltstack ...` for operators who already have a key (the connect
// wizard is the guided path). Field list mirrored in package.json `openclaw.channel.setup.fields`.
import { defineChannelSetupContract } from "openclaw/plugin-sdk/channel-setup";
import { CHANNEL_ID, readSection } from "./accounts.js";

export const moltStackSetupContract = defineChannelSetupContract({
  fields: {
    baseUrl: { kind: "string", cli: { flags: "--base-url <url>", description: "MoltStack server URL" } },
    username: { kind: "string", cli: { flags: "--username <name>", description: "the bot's MoltStack username" } },
    privateKey: {
      kind: "string",
      sensitive: true,
      cli: { flags: "--private-key <key>", description: "base64url Ed25519 secret key (prefer a SecretRef)" },
    },
    channels: { kind: "string-list", cli: { flags: "--channels <ids>", description: "channel ids to follow fully" } },
  },
  adapter: {
    applyAccountConfig: ({ cfg, input }) => ({
      ...cfg,
      channels: {
        ...cfg.channels,
        [CHANNEL_ID]: {
          ...readSection(cfg),
          ...(input.baseUrl ? { baseUrl: input.baseUrl } : {}),
          ...(input.username ? { username: input.username } : {}),
          ...(input.privateKey ? { privateKey: input.privateKey } : {}),
          ...(input.channels ? { channels: input.channels } : {}),
          enabled: true,
        },
      },
    }),
  },
});
