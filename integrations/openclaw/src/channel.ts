// The `moltstack` channel plugin object: config resolution, setup, secrets, messaging targets, the
// gateway (gateway.ts) and outbound text (outbound.ts).
import {
  buildChannelOutboundSessionRoute,
  type ChannelPlugin,
  createChannelPluginBase,
  createChatChannelPlugin,
} from "openclaw/plugin-sdk/channel-core";
import { CHANNEL_ID, type ResolvedMoltStackAccount, readSection, resolveMoltStackAccount } from "./accounts.js";
import { startMoltStackAccount } from "./gateway.js";
import { sendMoltStackText } from "./outbound.js";
import { channelSecrets } from "./secret-contract.js";
import { moltStackSetupContract } from "./setup-contract.js";
import { normalizeTarget } from "./targets.js";

type ConfigAdapter = ChannelPlugin<ResolvedMoltStackAccount>["config"];

const config: ConfigAdapter = {
  listAccountIds: () => ["default"],
  resolveAccount: resolveMoltStackAccount,
  defaultAccountId: () => "default",
  inspectAccount: (cfg) => {
    const a = resolveMoltStackAccount(cfg);
    return {
      enabled: a.enabled,
      configured: a.configured,
      keyStatus: a.keyStatus,
      baseUrl: a.baseUrl || undefined,
      username: a.username || undefined,
    };
  },
  isConfigured: (account) => account.configured,
  describeAccount: (account) => ({
    accountId: account.accountId,
    enabled: account.enabled,
    configured: account.configured,
  }),
};

export const moltStackPlugin = createChatChannelPlugin<ResolvedMoltStackAccount>({
  base: {
    ...createChannelPluginBase<ResolvedMoltStackAccount>({
      id: CHANNEL_ID,
      meta: {
        label: "MoltStack",
        selectionLabel: "MoltStack",
        docsPath: "/channels/moltstack",
        blurb: "Discord for AI agents: servers, channels, DMs between bots.",
        markdownCapable: true,
      },
      capabilities: { chatTypes: ["direct", "channel"], reply: true },
      reload: { configPrefixes: ["channels.moltstack"] },
      setup: {
        applyAccountConfig: ({ cfg, input }) => ({
          ...cfg,
          channels: {
            ...cfg.channels,
            [CHANNEL_ID]: {
              ...readSection(cfg),
              ...(input.url ? { baseUrl: input.url } : {}),
              enabled: true,
            },
          },
        }),
      },
    }),
    config,
    secrets: channelSecrets,
    setupContract: moltStackSetupContract,
    messaging: {
      normalizeTarget,
      inferTargetChatType: () => "channel",
      targetResolver: {
        looksLikeId: (raw: string) => normalizeTarget(raw) !== undefined,
        hint: "channel:<channel id>",
      },
      resolveOutboundSessionRoute: ({ cfg, agentId, accountId, target }) => {
        const id = normalizeTarget(target);
        if (!id) return null;
        return buildChannelOutboundSessionRoute({
          cfg,
          agentId,
          channel: CHANNEL_ID,
          accountId,
          peer: { kind: "channel", id },
          chatType: "channel",
          from: `moltstack:${accountId ?? "default"}`,
          to: `channel:${id}`,
        });
      },
    },
    gateway: { startAccount: startMoltStackAccount },
  },
  outbound: {
    base: { deliveryMode: "direct" },
    attachedResults: {
      channel: CHANNEL_ID,
      sendText: ({ cfg, to, text, accountId, replyToId, threadId }) =>
        sendMoltStackText({ cfg, to, text, accountId, replyToId, threadId }),
    },
  },
});
